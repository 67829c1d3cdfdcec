package backend

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// scripted is a driver whose invocations answer what its script says, in
// order, and that records when each arrived.
type scripted struct {
	capacity, perMinute int
	mu                  sync.Mutex
	script              []error
	arrived             []time.Time
}

func (s *scripted) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrived = append(s.arrived, time.Now())
	if len(s.script) == 0 {
		return &driver.Activation{Payload: []byte(`{}`)}, nil
	}
	err := s.script[0]
	s.script = s.script[1:]
	if err == nil {
		return &driver.Activation{Payload: []byte(`{}`)}, nil
	}
	return nil, err
}

func (s *scripted) Capacity() int { return s.capacity }

func (s *scripted) ErrorCode(err error) driver.ErrorCode {
	var h *hint
	if errors.As(err, &h) {
		return h.code
	}
	return driver.Unknown
}

func (s *scripted) Close() error { return nil }

func (s *scripted) InvocationsPerMinute() int { return s.perMinute }

// hint is a driver error with a code and throttle hints.
type hint struct {
	code      driver.ErrorCode
	wait      time.Duration
	limit     int
	perMinute bool
}

func (h *hint) Error() string             { return fmt.Sprintf("%v (wait %v, limit %d)", h.code, h.wait, h.limit) }
func (h *hint) RetryAfter() time.Duration { return h.wait }
func (h *hint) Limit() int                { return h.limit }
func (h *hint) PerMinute() bool           { return h.perMinute }

// bare is a throttle that says nothing more.
type bare struct{}

func (bare) Error() string { return "429" }

func invoke(t *testing.T, b *Backend) error {
	t.Helper()
	_, err := b.Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{}`)})
	return err
}

func TestWindowHalvesOncePerRound(t *testing.T) {
	w := newWindow(32)
	e := w.now()
	for range 5 { // one round's throttles
		w.shrink(e, 0)
	}
	if got, _ := w.sizes(); got != 16 {
		t.Fatalf("window after one round's throttles = %d, want 16", got)
	}
	w.shrink(w.now(), 0) // a throttle of an invocation sent since
	if got, _ := w.sizes(); got != 8 {
		t.Fatalf("window after a later throttle = %d, want 8", got)
	}
	// Past the unnamed limit's halved size it grows by one per window of
	// successes: 8 successes to reach 9, 9 more to reach 10.
	for range 7 {
		w.grow()
	}
	if got, _ := w.sizes(); got != 8 {
		t.Errorf("window after 7 successes = %d, want still 8", got)
	}
	w.grow()
	if got, _ := w.sizes(); got != 9 {
		t.Errorf("window after 8 successes = %d, want 9", got)
	}
	// A named limit caps it and makes it grow by one per success again.
	w.shrink(w.now(), 6)
	if got, m := w.sizes(); got != 3 || m != 6 {
		t.Fatalf("window after a throttle naming 6 = %d of %d, want 3 of 6", got, m)
	}
	for range 10 {
		w.grow()
	}
	if got, _ := w.sizes(); got != 6 {
		t.Errorf("window after 10 successes = %d, want the named 6", got)
	}
}

func TestFlowLearnsFromThrottles(t *testing.T) {
	d := &scripted{capacity: 40, script: []error{
		bare{},
		&hint{code: driver.ResourceExhausted, limit: 10},
		&hint{code: driver.ResourceExhausted, limit: 600, perMinute: true},
		&hint{code: driver.ResourceExhausted, perMinute: true},
	}}
	b := New("scripted", &codeOf{d})
	if err := invoke(t, b); Code(err) != ResourceExhausted {
		t.Fatalf("first invoke: %v (code %v)", err, Code(err))
	}
	if fl := b.Flow(); fl.Window != 20 || fl.MaxWindow != 40 {
		t.Errorf("after a bare throttle: %+v, want window 20 of 40", fl)
	}
	invoke(t, b)
	if fl := b.Flow(); fl.Window != 5 || fl.MaxWindow != 10 {
		t.Errorf("after a throttle naming 10: %+v, want window 5 of 10", fl)
	}
	invoke(t, b)
	if fl := b.Flow(); fl.PerMinute != 600 || fl.Burst != 30 || fl.Window != 5 {
		t.Errorf("after a per-minute throttle naming 600: %+v, want paced at 600 a minute with a burst of 30, window 5", fl)
	}
	invoke(t, b)
	if fl := b.Flow(); fl.PerMinute >= 600 || fl.PerMinute <= 0 || fl.Window != 5 {
		t.Errorf("after a per-minute throttle naming nothing: %+v, want a slower pace, window 5", fl)
	}
	if err := invoke(t, b); err != nil {
		t.Fatal(err)
	}
	if fl := b.Flow(); fl.Window != 6 {
		t.Errorf("after a success: %+v, want window 6", fl)
	}
}

// codeOf classifies bare{} as a throttle and defers the rest.
type codeOf struct{ *scripted }

func (c *codeOf) ErrorCode(err error) driver.ErrorCode {
	if _, ok := err.(bare); ok {
		return driver.ResourceExhausted
	}
	return c.scripted.ErrorCode(err)
}

func TestPacedFromTheStart(t *testing.T) {
	b := New("scripted", &scripted{capacity: 4, perMinute: 120})
	if fl := b.Flow(); fl.PerMinute != 120 || fl.Burst != 6 || fl.Window != 4 {
		t.Errorf("flow of a driver with 120 a minute: %+v, want paced at 120 with a burst of 6", fl)
	}
	if fl := New("scripted", &scripted{capacity: 4}).Flow(); fl.PerMinute != 0 {
		t.Errorf("flow of a driver without a pace: %+v, want unpaced", fl)
	}
}

// TestRetryAfterHoldsInvocationsBack checks that no invocation reaches the
// driver before a Retry-After has ended, also one that came with an error
// other than a throttle (a 503 while a platform scales up), which leaves
// the window alone.
func TestRetryAfterHoldsInvocationsBack(t *testing.T) {
	for _, code := range []driver.ErrorCode{driver.ResourceExhausted, driver.Unavailable} {
		t.Run(code.String(), func(t *testing.T) {
			d := &scripted{capacity: 8, script: []error{&hint{code: code, wait: 50 * time.Millisecond}}}
			b := New("scripted", d)
			if err := invoke(t, b); Code(err) != code {
				t.Fatalf("first invoke: %v, want code %v", err, code)
			}
			fl := b.Flow()
			if !fl.NotBefore.After(d.arrived[0]) {
				t.Fatalf("Retry-After ends %v, not after the refused invocation arrived (%v)", fl.NotBefore, d.arrived[0])
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if err := invoke(t, b); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for i, at := range d.arrived[1:] {
				if at.Before(fl.NotBefore) {
					t.Errorf("invocation %d arrived %v before the Retry-After ended", i+1, fl.NotBefore.Sub(at))
				}
			}
			want := 4
			if code == driver.Unavailable {
				want = 8
			}
			if fl.Window != want {
				t.Errorf("window after a Retry-After with code %v = %d, want %d", code, fl.Window, want)
			}
		})
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	d := &scripted{capacity: 1, script: []error{&hint{code: driver.ResourceExhausted, wait: time.Hour}}}
	b := New("scripted", d)
	invoke(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Invoke(ctx, &driver.Invocation{Payload: []byte(`{}`)})
	if Code(err) != Canceled || len(d.arrived) != 1 {
		t.Errorf("invoke canceled during a Retry-After: %v (code %v), %d arrivals; want canceled, nothing sent", err, Code(err), len(d.arrived))
	}
	if b.flow.win.inflight.Load() != 0 {
		t.Errorf("%d in flight: the canceled invocation's slot was not given back", b.flow.win.inflight.Load())
	}
}

// TestRateThrottleWithoutPace checks that a per-minute throttle naming no
// rate, when there is no pace to halve, narrows the window instead.
func TestRateThrottleWithoutPace(t *testing.T) {
	b := New("scripted", &scripted{capacity: 16, script: []error{&hint{code: driver.ResourceExhausted, perMinute: true}}})
	invoke(t, b)
	if fl := b.Flow(); fl.PerMinute != 0 || fl.Window != 8 {
		t.Errorf("after a rate throttle naming nothing: %+v, want unpaced, window 8", fl)
	}
}

// TestWindowBoundsConcurrently takes and returns slots from many
// goroutines while throttles shrink the window and successes grow it:
// never more than the maximum are held, and every taker gets its turn (a
// lost wake-up would hang the test).
func TestWindowBoundsConcurrently(t *testing.T) {
	w := newWindow(4)
	var held, peak atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 300 {
				epoch, _, err := w.acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := held.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				runtime.Gosched()
				held.Add(-1)
				w.release()
				if (g+i)%97 == 0 {
					w.shrink(epoch, 0)
				} else {
					w.grow()
				}
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 4 || p < 1 {
		t.Errorf("peak held %d, want 1 to 4", p)
	}
	if n := w.inflight.Load(); n != 0 {
		t.Errorf("%d still in flight after all returned", n)
	}
}

// TestWatchWindow sees every change of the window, and only changes, in
// the order they happen, until it stops watching.
func TestWatchWindow(t *testing.T) {
	d := &scripted{capacity: 8, script: []error{bare{}, &hint{code: driver.ResourceExhausted, limit: 4}}}
	b := New("scripted", &codeOf{d})
	var got []WindowChange
	stop := b.WatchWindow(func(c WindowChange) { got = append(got, c) })
	other := b.WatchWindow(func(WindowChange) {})
	other()      // another watcher's end leaves this one
	invoke(t, b) // a bare throttle: 8 of 8 to 4 of 8
	invoke(t, b) // one naming 4: 4 of 8 to 2 of 4
	for range 3 {
		invoke(t, b) // successes: 3, 4, then no change at the maximum
	}
	stop()
	b.flow.win.shrink(b.flow.win.now(), 0) // unseen
	want := [][2]int{{4, 8}, {2, 4}, {3, 4}, {4, 4}}
	if len(got) != len(want) {
		t.Fatalf("saw %d changes %+v, want %v", len(got), got, want)
	}
	for i, w := range want {
		if got[i].Window != w[0] || got[i].MaxWindow != w[1] || got[i].At.IsZero() || (i > 0 && got[i].At.Before(got[i-1].At)) {
			t.Errorf("change %d: %+v, want window %d of %d", i, got[i], w[0], w[1])
		}
	}
}
