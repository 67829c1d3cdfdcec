package rotation

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// observer records the endpoints reported down and up.
type observer struct {
	mu     sync.Mutex
	events []string
	ch     chan struct{}
}

func (o *observer) Request(time.Time, error) {}

func (o *observer) Endpoint(url string, err error) {
	o.mu.Lock()
	if err != nil {
		o.events = append(o.events, "down "+url)
	} else {
		o.events = append(o.events, "up "+url)
	}
	o.mu.Unlock()
	o.ch <- struct{}{}
}

var errDown = errors.New("down")

func newTest(alive *atomic.Bool) *Rotation {
	return New(Options{URLs: []string{"a", "b"}, PerEndpoint: 2,
		Probe:       func(ctx context.Context, i int) bool { return i != 1 || alive.Load() },
		Unreachable: func(last error) error { return errors.Join(errors.New("none answers"), last) }})
}

// TestSlotsTakeTurns checks that consecutive takes alternate endpoints
// and that capacity is per endpoint.
func TestSlotsTakeTurns(t *testing.T) {
	var alive atomic.Bool
	r := newTest(&alive)
	defer r.Close()
	if r.Capacity() != 4 {
		t.Fatalf("capacity %d, want 4", r.Capacity())
	}
	var got []int
	for range 4 {
		i, err := r.Take(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, i)
	}
	if got[0] == got[1] || got[1] == got[2] || got[2] == got[3] {
		t.Errorf("takes %v, want endpoints in turn", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Take(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("take with every slot out: %v, want the context's error", err)
	}
}

// TestFailParksAndProbeRevives takes endpoint b out of rotation: its slots
// are parked, takes go to a only, the Observer hears of it, and once the
// probe answers b is back with every slot.
func TestFailParksAndProbeRevives(t *testing.T) {
	var alive atomic.Bool
	r := newTest(&alive)
	defer r.Close()
	o := &observer{ch: make(chan struct{}, 4)}
	r.Observe(o)
	r.Fail(1, errDown)
	r.Fail(1, errDown) // once only
	<-o.ch
	for range 10 {
		i, err := r.Take(context.Background())
		if err != nil || i != 0 {
			t.Fatalf("take = %d, %v; want endpoint 0 while 1 is down", i, err)
		}
		r.Put(i)
	}
	alive.Store(true)
	select {
	case <-o.ch:
	case <-time.After(30 * time.Second):
		t.Fatal("endpoint 1 not revived")
	}
	seen := map[int]int{}
	for range 4 {
		i, err := r.Take(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		seen[i]++
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if seen[0] != 2 || seen[1] != 2 || len(o.events) != 2 || o.events[0] != "down b" || o.events[1] != "up b" {
		t.Errorf("slots %v, events %v; want 2 each and b down then up", seen, o.events)
	}
}

// TestAllDownFailsAtOnce checks that Take fails with the Unreachable
// error, wrapping the last cause, while no endpoint answers.
func TestAllDownFailsAtOnce(t *testing.T) {
	var alive atomic.Bool
	r := newTest(&alive)
	defer r.Close()
	r.Fail(0, errDown)
	r.Fail(1, errDown)
	if _, err := r.Take(context.Background()); !errors.Is(err, errDown) {
		t.Fatalf("take with both down: %v, want the unreachable error wrapping the cause", err)
	}
}

// TestLimitRetiresAndAddsSlots lowers an endpoint's slots to one, then
// raises them past PerEndpoint, which caps them.
func TestLimitRetiresAndAddsSlots(t *testing.T) {
	var alive atomic.Bool
	r := newTest(&alive)
	defer r.Close()
	count := func() map[int]int {
		var taken []int
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			i, err := r.Take(ctx)
			cancel()
			if err != nil {
				break
			}
			taken = append(taken, i)
		}
		seen := map[int]int{}
		for _, i := range taken {
			seen[i]++
			r.Put(i)
		}
		return seen
	}
	r.Limit(1, 1)
	count() // the extra slot of endpoint 1 is retired as it comes back
	if seen := count(); seen[0] != 2 || seen[1] != 1 {
		t.Fatalf("slots %v after Limit(1, 1), want 2 and 1", seen)
	}
	r.Limit(1, 5)
	if seen := count(); seen[0] != 2 || seen[1] != 2 {
		t.Fatalf("slots %v after Limit(1, 5), want 2 and 2 (PerEndpoint caps it)", seen)
	}
}
