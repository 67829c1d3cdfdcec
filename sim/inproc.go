package sim

import (
	"context"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"

	"github.com/overcast-sc/overcast/worker"
)

// inproc runs an action's activations as goroutines calling worker.Handle
// and models its containers by counting free slots: an activation that
// finds none starts a container (a cold start sleeping Options.ColdStart).
type inproc struct {
	s    *Server
	a    *action
	mu   sync.Mutex
	idle int // free activation slots in warm containers
}

func newInproc(s *Server, a *action) *inproc { return &inproc{s: s, a: a} }

func (x *inproc) close() {}

// acquire takes a warm slot, or reports that a container must start.
func (x *inproc) acquire() (cold bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.idle > 0 {
		x.idle--
		return false
	}
	return true
}

// release returns n slots; a broken container returns none of its own.
func (x *inproc) release(n int) {
	x.mu.Lock()
	x.idle += n
	x.mu.Unlock()
}

func (x *inproc) run(ctx context.Context, j *job) outcome {
	o := outcome{start: time.Now()}
	if x.acquire() {
		x.s.stats.coldStarts.Add(1)
		o.cold = true
		ctxtime.Sleep(ctx, x.s.opts.ColdStart)
		o.init = time.Since(o.start)
		x.release(x.a.limits.Concurrency - 1)
	}
	broken := x.runWarm(ctx, j, &o)
	o.end = time.Now()
	if !broken {
		x.release(1)
	}
	return o
}

// runWarm runs j in a started container and reports whether the
// container broke.
func (x *inproc) runWarm(ctx context.Context, j *job, o *outcome) (broken bool) {
	s := x.s
	if j.fault.crash {
		s.stats.crashes.Add(1)
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalRun)
		return true
	}
	timeout := time.Duration(x.a.limits.Timeout) * time.Millisecond
	begin := time.Now()
	deadline := begin.Add(timeout)
	raw, ok := callHandle(ctx, j.params, deadline)
	if ok && j.fault.straggler {
		ok = straggle(ctx, s, begin, deadline)
	}
	switch {
	case ctx.Err() != nil:
		o.status, o.result = statusInternalError, errorResult(msgUnavailable)
		return true
	case !ok:
		o.timeout = true
		o.status, o.result = statusDeveloperError, errorResult(msgTimeout(x.a.limits.Timeout))
		return true
	}
	o.status, o.result = classify(raw, s.opts.ResultLimit)
	return o.status == statusDeveloperError
}

// callHandle runs worker.Handle on params until it answers or deadline
// passes; a task that ignores its context is left behind.
func callHandle(ctx context.Context, params []byte, deadline time.Time) ([]byte, bool) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	done := make(chan []byte, 1)
	go func() { done <- worker.Handle(ctx, params) }()
	select {
	case raw := <-done:
		return raw, true
	case <-ctx.Done():
		return nil, false
	}
}

// straggle sleeps a straggler's extra time, which began at begin, and
// reports false when that hits deadline.
func straggle(ctx context.Context, s *Server, begin, deadline time.Time) bool {
	s.stats.stragglers.Add(1)
	until := time.Now().Add(stragglerExtra(time.Since(begin), s.opts.Faults.StragglerSlowdown))
	if until.After(deadline) {
		ctxtime.Sleep(ctx, time.Until(deadline))
		return false
	}
	ctxtime.Sleep(ctx, time.Until(until))
	return true
}
