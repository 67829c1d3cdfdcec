package backend

import (
	"context"
	"slices"
	"sync"
)

// window bounds a backend's invocations in flight with additive increase,
// multiplicative decrease: it halves on a throttle and grows by one per
// success, between 1 and its maximum (the driver's capacity, lowered to
// the platform's limit when a throttle names it). Waiters are served in
// order.
//
// A throttle that names no limit leaves the window to find it: past the
// size it halved to (cautious), it grows by one per window's worth of
// successes rather than per success, as TCP's congestion avoidance does.
// Growing by one per success doubles the window every round of
// invocations, so that it would overshoot an unnamed limit again at once,
// and a job would see about as many throttles as tasks.
type window struct {
	mu       sync.Mutex
	limit    int
	max      int
	inflight int
	waiters  []chan struct{}
	// epoch counts the halvings. A throttle halves the window only when
	// its invocation was sent in the current epoch: a burst of throttles
	// answering one round of invocations halves it once, not once per
	// throttle, and a throttle of an invocation sent since does again.
	epoch uint64
	// cautious is the size past which the window grows slowly, zero when
	// the last throttle named the limit (or none came); credit counts the
	// successes toward the next slow step.
	cautious, credit int
}

func newWindow(max int) *window {
	return &window{limit: max, max: max}
}

// acquire takes a slot, waiting for one.
func (w *window) acquire(ctx context.Context) error {
	w.mu.Lock()
	if w.inflight < w.limit && len(w.waiters) == 0 {
		w.inflight++
		w.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	w.waiters = append(w.waiters, ch)
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		w.mu.Lock()
		defer w.mu.Unlock()
		if i := slices.Index(w.waiters, ch); i >= 0 {
			w.waiters = slices.Delete(w.waiters, i, i+1)
			return ctx.Err()
		}
		w.inflight-- // granted meanwhile: give it back
		w.grant()
		return ctx.Err()
	}
}

// release returns a slot.
func (w *window) release() {
	w.mu.Lock()
	w.inflight--
	w.grant()
	w.mu.Unlock()
}

// grant hands free slots to waiters; w.mu is held.
func (w *window) grant() {
	for w.inflight < w.limit && len(w.waiters) > 0 {
		close(w.waiters[0])
		w.waiters = w.waiters[1:]
		w.inflight++
	}
}

// now returns the current epoch, to be given to shrink with a throttle of
// an invocation sent now.
func (w *window) now() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.epoch
}

// grow widens the window after a success: by one, or by one per window's
// worth of successes past the cautious size.
func (w *window) grow() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.limit >= w.max {
		return
	}
	if w.cautious > 0 && w.limit >= w.cautious {
		if w.credit++; w.credit < w.limit {
			return
		}
		w.credit = 0
	}
	w.limit++
	w.grant()
}

// shrink halves the window after a throttle of an invocation sent in the
// given epoch; allowed, when known, is the platform's limit and becomes
// the maximum. A throttle without it makes the halved size the cautious
// one.
func (w *window) shrink(epoch uint64, allowed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if allowed > 0 && allowed < w.max {
		w.max = allowed
	}
	if epoch != w.epoch {
		w.limit = min(w.limit, w.max)
		return
	}
	w.limit = max(1, min(w.limit, w.max)/2)
	w.epoch++
	w.cautious, w.credit = 0, 0
	if allowed <= 0 {
		w.cautious = w.limit
	}
}

// sizes returns the current limit and the maximum.
func (w *window) sizes() (limit, max int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit, w.max
}
