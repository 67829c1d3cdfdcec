package backend

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/overcast-sc/overcast/backend/driver"
)

// flow is the flow control every driver gets: a window of invocations in
// flight, a pace of invocations a minute, and the earliest time the
// platform asked to be called again (a Retry-After). Drivers only report
// throttles (ResourceExhausted, with a driver.ThrottleError hint).
type flow struct {
	win     *window
	limiter *rate.Limiter
	// paced is set once the limiter has a finite rate; until then
	// invocations skip it.
	paced atomic.Bool
	// notBefore is when the last Retry-After ends, in Unix nanoseconds
	// (zero for none); no invocation is sent before it.
	notBefore atomic.Int64
	avgNS     atomic.Int64 // moving average of invocation durations
}

func newFlow(capacity, perMinute int) *flow {
	f := &flow{win: newWindow(capacity), limiter: rate.NewLimiter(rate.Inf, 1)}
	if perMinute > 0 {
		f.setPerMinute(perMinute)
	}
	return f
}

// slot is an invocation's place in the window: the epoch it was taken
// in, and its timed hold when the window binds (nil otherwise).
type slot struct {
	epoch uint64
	held  *heldSlot
}

// enter waits until an invocation may be sent: a slot in the window, its
// turn in the pace and the end of any Retry-After. The slot must be
// given to leave when the invocation ends.
func (f *flow) enter(ctx context.Context) (slot, error) {
	epoch, binds, err := f.win.acquire(ctx)
	if err != nil {
		return slot{}, err
	}
	if err := f.pace(ctx); err != nil {
		f.win.release()
		return slot{}, err
	}
	if err := f.awaitRetryAfter(ctx); err != nil {
		f.win.release()
		return slot{}, err
	}
	s := slot{epoch: epoch}
	if binds {
		h := &heldSlot{win: f.win, sent: time.Now()}
		h.t = time.AfterFunc(f.slotHold(), h.free)
		s.held = h
	}
	return s, nil
}

// leave returns s's place in the window, unless its timer already did.
func (f *flow) leave(s slot) {
	if s.held != nil {
		s.held.release()
		return
	}
	f.win.release()
}

// setPerMinute paces invocations so that no 60-second span holds more than
// n: a burst of n/20 and the rest spread evenly.
func (f *flow) setPerMinute(n int) {
	burst := max(1, n/20)
	f.limiter.SetBurst(burst)
	f.limiter.SetLimit(rate.Limit(float64(max(1, n-burst)) / 60))
	f.paced.Store(true)
}

// pace waits for the per-minute rate limiter.
func (f *flow) pace(ctx context.Context) error {
	if !f.paced.Load() {
		return nil
	}
	r := f.limiter.Reserve()
	delay := r.Delay()
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// awaitRetryAfter waits until no Retry-After holds invocations back. A
// Retry-After that arrives while it waits extends the wait.
func (f *flow) awaitRetryAfter(ctx context.Context) error {
	for {
		nb := f.notBefore.Load()
		if nb == 0 {
			return nil
		}
		wait := time.Until(time.Unix(0, nb))
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// retryAfter holds every invocation back until d from now.
func (f *flow) retryAfter(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		old := f.notBefore.Load()
		if old >= until || f.notBefore.CompareAndSwap(old, until) {
			return
		}
	}
}

// failed learns from a failed invocation of the given code, sent in
// slot: a throttle
// (see throttled), or another failure that carries a Retry-After.
func (f *flow) failed(s slot, code driver.ErrorCode, err error) {
	if code == driver.ResourceExhausted {
		f.throttled(s.epoch, err)
		return
	}
	var te driver.ThrottleError
	if errors.As(err, &te) && te.RetryAfter() > 0 {
		f.retryAfter(te.RetryAfter())
	}
}

// throttled learns from a throttle: a Retry-After holds invocations back;
// a per-minute throttle sets the pace (halves it when the platform did not
// say its limit); any other throttle halves the window, which the
// platform's limit, when named, caps.
func (f *flow) throttled(epoch uint64, err error) {
	var te driver.ThrottleError
	if !errors.As(err, &te) {
		f.win.shrink(epoch, 0)
		return
	}
	if d := te.RetryAfter(); d > 0 {
		f.retryAfter(d)
	}
	var pm driver.PerMinuteError
	if !errors.As(err, &pm) || !pm.PerMinute() {
		f.win.shrink(epoch, te.Limit())
		return
	}
	switch {
	case pm.Limit() > 0:
		f.setPerMinute(pm.Limit())
	case f.limiter.Limit() != rate.Inf:
		f.limiter.SetLimit(f.limiter.Limit() / 2)
	default:
		f.win.shrink(epoch, 0) // no pace to halve: fewer in flight send fewer a minute
	}
}

// succeeded widens the window after a successful invocation sent in
// slot. The durations of invocations sent while the window binds make the
// average slotHold uses: only their slots are handed on early, and
// reading the clock twice per invocation costs the fastest drivers more
// than the rest of the flow control.
func (f *flow) succeeded(s slot) {
	if s.held != nil {
		f.observe(time.Since(s.held.sent))
	}
	f.win.grow()
}

// A slot taken while the window binds (see window.acquire) is handed on
// early, after slotHold (a few typical durations): an invocation still
// outstanding by then is most likely lost or straggling, and it must not
// idle the window for the lost-attempt deadline. If the invocations
// really are all still running, the platform answers the extra ones with
// throttles and the window shrinks: AIMD corrects the overshoot.

// heldSlot is the window slot of an invocation sent while the window
// binds, freed once: by its timer or by release, whichever comes first.
// sent is when the invocation was sent.
type heldSlot struct {
	win   *window
	sent  time.Time
	t     *time.Timer
	freed atomic.Bool
}

func (h *heldSlot) free() {
	if h.freed.CompareAndSwap(false, true) {
		h.win.release()
	}
}

// release stops the timer and frees the slot.
func (h *heldSlot) release() {
	h.t.Stop()
	h.free()
}

// slotHold is how long an invocation keeps its window slot for sure: four
// times the moving average of invocation durations, at least one second.
func (f *flow) slotHold() time.Duration {
	return max(4*time.Duration(f.avgNS.Load()), time.Second)
}

// observe folds one invocation's duration into the moving average.
func (f *flow) observe(took time.Duration) {
	for {
		old := f.avgNS.Load()
		next := old + (int64(took)-old)/16
		if old == 0 {
			next = int64(took)
		}
		if f.avgNS.CompareAndSwap(old, next) {
			return
		}
	}
}

// Flow is a snapshot of a backend's flow control.
type Flow struct {
	// Window is how many invocations may be in flight now; MaxWindow the
	// most it may grow to (the capacity, or the platform's named limit).
	Window, MaxWindow int
	// PerMinute is the pace in invocations a minute (burst included), zero
	// when invocations are not paced; Burst the pace's burst.
	PerMinute, Burst int
	// NotBefore is when the last Retry-After ends.
	NotBefore time.Time
}

func (f *flow) snapshot() Flow {
	var s Flow
	s.Window, s.MaxWindow = f.win.sizes()
	if l := f.limiter.Limit(); l != rate.Inf {
		s.Burst = f.limiter.Burst()
		s.PerMinute = int(float64(l)*60+0.5) + s.Burst
	}
	if nb := f.notBefore.Load(); nb != 0 {
		s.NotBefore = time.Unix(0, nb)
	}
	return s
}
