package backend

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
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
//
// While no invocation waits, taking and returning a slot and growing a
// full-size window take no lock: the window costs the fastest drivers
// (the local one) almost nothing until a platform throttles.
type window struct {
	// inflight, limit, max and epoch are read without mu; limit, max and
	// epoch change only under it, inflight by compare-and-swap below
	// limit, or by one down.
	inflight atomic.Int64
	limit    atomic.Int64
	max      atomic.Int64
	// epoch counts the halvings. A throttle halves the window only when
	// its invocation was sent in the current epoch: a burst of throttles
	// answering one round of invocations halves it once, not once per
	// throttle, and a throttle of an invocation sent since does again.
	epoch atomic.Uint64
	// waiting is len(waiters), for the lock-free paths.
	waiting atomic.Int64

	mu      sync.Mutex
	waiters []chan struct{}
	// cautious is the size past which the window grows slowly, zero when
	// the last throttle named the limit (or none came); credit counts the
	// successes toward the next slow step.
	cautious, credit int
	// watchers are called, under mu, whenever limit or max changes.
	watchers atomic.Pointer[[]windowWatcher]
}

// windowWatcher is one WatchWindow's function.
type windowWatcher struct {
	id int
	f  func(WindowChange)
}

// WindowChange is a new size of a backend's window of invocations in
// flight (see Backend.WatchWindow).
type WindowChange struct {
	At time.Time
	// Window is how many invocations may be in flight now; MaxWindow the
	// most it may grow to.
	Window, MaxWindow int
}

// watch adds f to the watchers and returns the function that removes it.
func (w *window) watch(f func(WindowChange)) (stop func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.watchers.Load()
	id := 0
	var list []windowWatcher
	if old != nil {
		list = slices.Clone(*old)
		if n := len(list); n > 0 {
			id = list[n-1].id + 1
		}
	}
	list = append(list, windowWatcher{id, f})
	w.watchers.Store(&list)
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		cur := slices.DeleteFunc(slices.Clone(*w.watchers.Load()), func(x windowWatcher) bool { return x.id == id })
		w.watchers.Store(&cur)
	}
}

// changed tells the watchers the window's sizes when they differ from
// limit and max before the change; w.mu is held.
func (w *window) changed(limit, max int64) {
	p := w.watchers.Load()
	if p == nil || len(*p) == 0 || (limit == w.limit.Load() && max == w.max.Load()) {
		return
	}
	c := WindowChange{At: time.Now(), Window: int(w.limit.Load()), MaxWindow: int(w.max.Load())}
	for _, x := range *p {
		x.f(c)
	}
}

func newWindow(max int) *window {
	w := &window{}
	w.limit.Store(int64(max))
	w.max.Store(int64(max))
	return w
}

// tryTake takes a slot if one is free.
func (w *window) tryTake() bool {
	for {
		n := w.inflight.Load()
		if n >= w.limit.Load() {
			return false
		}
		if w.inflight.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// acquire takes a slot, waiting for one. It returns the epoch the slot
// was taken in, for shrink, and whether the window binds: it is narrower
// than its maximum or invocations wait for it. Only then is a slot worth
// handing on early (see flow.enter): otherwise the caller's own bound,
// not the window, holds invocations back.
func (w *window) acquire(ctx context.Context) (epoch uint64, binds bool, err error) {
	if w.waiting.Load() == 0 && w.tryTake() {
		return w.epoch.Load(), w.limit.Load() < w.max.Load(), nil
	}
	ch := make(chan struct{})
	w.mu.Lock()
	w.waiters = append(w.waiters, ch)
	w.waiting.Add(1)
	// A slot returned before this waiter was counted went unseen by its
	// releaser: hand it on here.
	w.grant()
	w.mu.Unlock()
	select {
	case <-ch:
		return w.epoch.Load(), true, nil
	case <-ctx.Done():
		w.mu.Lock()
		defer w.mu.Unlock()
		if i := slices.Index(w.waiters, ch); i >= 0 {
			w.waiters = slices.Delete(w.waiters, i, i+1)
			w.waiting.Add(-1)
			return 0, false, ctx.Err()
		}
		w.inflight.Add(-1) // granted meanwhile: give it back
		w.grant()
		return 0, false, ctx.Err()
	}
}

// release returns a slot.
func (w *window) release() {
	w.inflight.Add(-1)
	if w.waiting.Load() > 0 {
		w.mu.Lock()
		w.grant()
		w.mu.Unlock()
	}
}

// grant hands free slots to waiters, in order; w.mu is held.
func (w *window) grant() {
	for len(w.waiters) > 0 && w.tryTake() {
		close(w.waiters[0])
		w.waiters = w.waiters[1:]
		w.waiting.Add(-1)
	}
}

// grow widens the window after a success: by one, or by one per window's
// worth of successes past the cautious size.
func (w *window) grow() {
	if w.limit.Load() >= w.max.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	limit := w.limit.Load()
	if limit >= w.max.Load() {
		return
	}
	if w.cautious > 0 && limit >= int64(w.cautious) {
		if w.credit++; int64(w.credit) < limit {
			return
		}
		w.credit = 0
	}
	w.limit.Store(limit + 1)
	w.changed(limit, w.max.Load())
	w.grant()
}

// shrink halves the window after a throttle of an invocation sent in the
// given epoch; allowed, when known, is the platform's limit and becomes
// the maximum. A throttle without it makes the halved size the cautious
// one.
func (w *window) shrink(epoch uint64, allowed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.changed(w.limit.Load(), w.max.Load())
	if a := int64(allowed); a > 0 && a < w.max.Load() {
		w.max.Store(a)
	}
	limit := min(w.limit.Load(), w.max.Load())
	if epoch != w.epoch.Load() {
		w.limit.Store(limit)
		return
	}
	limit = max(1, limit/2)
	w.limit.Store(limit)
	w.epoch.Add(1)
	w.cautious, w.credit = 0, 0
	if allowed <= 0 {
		w.cautious = int(limit)
	}
}

// sizes returns the current limit and the maximum.
func (w *window) sizes() (limit, max int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int(w.limit.Load()), int(w.max.Load())
}

// now returns the current epoch, to be given to shrink with a throttle of
// an invocation sent now.
func (w *window) now() uint64 { return w.epoch.Load() }
