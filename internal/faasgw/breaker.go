package faasgw

import (
	"context"
	"errors"
	"sync"
)

// errQueueFull is the queue-proxy's answer when a request finds every slot
// busy and the queue of waiting requests full.
var errQueueFull = errors.New("pending request queue full")

// breaker is a queue-proxy's concurrency limit (containerConcurrency): at
// most cap(slots) requests run at once, at most depth more wait, and any
// beyond those are refused. A nil slots channel means no limit.
type breaker struct {
	slots chan struct{}
	depth int

	mu      sync.Mutex
	pending int // running plus waiting
}

// newBreaker returns the breaker Knative's queue-proxy builds for a
// containerConcurrency of cc: a queue ten times as deep as cc.
func newBreaker(cc int) *breaker {
	b := &breaker{depth: 10 * cc}
	if cc > 0 {
		b.slots = make(chan struct{}, cc)
	}
	return b
}

// acquire takes a slot, waiting while all are busy; it fails at once when
// the queue is full, and when ctx is done.
func (b *breaker) acquire(ctx context.Context) error {
	b.mu.Lock()
	if b.slots != nil && b.pending >= cap(b.slots)+b.depth {
		b.mu.Unlock()
		return errQueueFull
	}
	b.pending++
	b.mu.Unlock()
	if b.slots == nil {
		return nil
	}
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		b.done()
		return ctx.Err()
	}
}

// release gives a slot back.
func (b *breaker) release() {
	if b.slots != nil {
		<-b.slots
	}
	b.done()
}

func (b *breaker) done() {
	b.mu.Lock()
	b.pending--
	b.mu.Unlock()
}

// load returns the requests running and waiting.
func (b *breaker) load() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending
}
