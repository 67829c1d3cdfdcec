package backend

import (
	"context"
	"slices"
	"sync"
	"time"
)

// window bounds a backend's invocations in flight with additive increase,
// multiplicative decrease: it halves on a throttle and grows by one per
// success, between 1 and its maximum (the driver's capacity, lowered to
// the platform's limit when a throttle names it). Waiters are served in
// order.
type window struct {
	mu       sync.Mutex
	limit    int
	max      int
	inflight int
	waiters  []chan struct{}
	// shrunk is when the window last halved; grew whether it grew since.
	// A burst of throttles answering one round of invocations halves the
	// window once, not once per throttle.
	shrunk time.Time
	grew   bool
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

// grow widens the window by one after a success.
func (w *window) grow() {
	w.mu.Lock()
	w.grew = true
	if w.limit < w.max {
		w.limit++
		w.grant()
	}
	w.mu.Unlock()
}

// shrink halves the window after a throttle; allowed, when known, is the
// platform's limit and becomes the maximum.
func (w *window) shrink(allowed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if allowed > 0 && allowed < w.max {
		w.max = allowed
	}
	if !w.grew && time.Since(w.shrunk) < time.Second {
		w.limit = min(w.limit, w.max)
		return
	}
	w.limit = max(1, min(w.limit, w.max)/2)
	w.shrunk, w.grew = time.Now(), false
}

// sizes returns the current limit and the maximum.
func (w *window) sizes() (limit, max int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit, w.max
}
