package sim

import (
	"sync"
	"sync/atomic"
	"time"
)

// throttle enforces the namespace's limits: activations in flight and
// invocations in any 60 seconds.
type throttle struct {
	concurrency int
	inflight    atomic.Int64

	perMinute int
	mu        sync.Mutex
	buckets   [60]bucket // one per second, indexed by second mod 60
}

type bucket struct {
	sec int64
	n   int
}

func newThrottle(concurrency, perMinute int) *throttle {
	return &throttle{concurrency: concurrency, perMinute: perMinute}
}

// admit counts one invocation against both limits. It returns "" when the
// invocation may run (the caller must call done when it ends) and
// OpenWhisk's 429 message otherwise.
func (t *throttle) admit(now time.Time) string {
	if t.perMinute > 0 {
		if n, ok := t.countMinute(now.Unix()); !ok {
			return msgPerMinute(n, t.perMinute)
		}
	}
	n := t.inflight.Add(1)
	if n > int64(t.concurrency) {
		t.inflight.Add(-1)
		return msgConcurrent(int(n-1), t.concurrency)
	}
	return ""
}

// done ends an admitted invocation.
func (t *throttle) done() { t.inflight.Add(-1) }

// countMinute records an invocation in the current second unless the
// window is full; it returns the window's count including this one.
func (t *throttle) countMinute(sec int64) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 1
	for i := range t.buckets {
		if b := &t.buckets[i]; b.sec > sec-60 {
			n += b.n
		}
	}
	if n > t.perMinute {
		return n, false
	}
	b := &t.buckets[sec%60]
	if b.sec != sec {
		*b = bucket{sec: sec}
	}
	b.n++
	return n, true
}
