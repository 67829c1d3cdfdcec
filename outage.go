package overcast

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend"
)

// DefaultOutageWait is how long a job waits for an unreachable platform
// when Options.OutageWait is zero.
const DefaultOutageWait = 2 * time.Minute

// OutageError is why a job stopped: its platform stayed unreachable
// longer than Options.OutageWait. The tasks it did not finish are
// unfinished, not failed: a journaled job resumes them.
type OutageError struct {
	// For is how long the platform had been unreachable.
	For time.Duration
	// Err is the error that began the outage.
	Err error
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("the platform was unreachable for %v (%s)", e.For.Round(100*time.Millisecond), Gist(e.Err))
}

// Unwrap returns the error that began the outage.
func (e *OutageError) Unwrap() error { return e.Err }

// outage follows whether a job's platform answers. The first attempt or
// driver request that cannot reach it begins an outage: the job reports
// PlatformUnreachable once, its tasks stop sending but for one probe at a
// time (at a backoff from BackoffBase to BackoffMax), and attempts that
// could not reach it do not count against MaxAttempts. The first answer
// ends the outage (PlatformReachable, once); an outage longer than the
// wait stops the job with an *OutageError.
//
// Signals are ordered by time so that a stale one does not flip the
// state back: an answer received before the outage began, or a failure
// of a request sent before it ended, says nothing new.
type outage struct {
	j      *job
	wait   time.Duration // negative: stop at once
	down   atomic.Bool
	cause  atomic.Pointer[OutageError]
	cancel context.CancelCauseFunc
	stop   func()

	mu    sync.Mutex
	since int64 // Unix ns of the last change
	first error // the error that began the current outage
	up    chan struct{}
	next  int64         // Unix ns when the next probe may go
	gap   time.Duration // the probe interval, doubling
	timer *time.Timer
}

// begin starts following the platform; cancel stops the job.
func (o *outage) begin(j *job, cancel context.CancelCauseFunc) {
	o.j, o.cancel = j, cancel
	o.wait = j.ex.opts.OutageWait
	if o.wait == 0 {
		o.wait = DefaultOutageWait
	}
	o.stop = j.ex.b.Watch(o.signal)
}

// end stops following the platform.
func (o *outage) end() {
	if o.stop != nil {
		o.stop()
	}
	o.mu.Lock()
	if o.timer != nil {
		o.timer.Stop()
	}
	o.mu.Unlock()
}

// signal takes what the driver reported besides attempts' results.
func (o *outage) signal(s backend.Signal) {
	if s.Endpoint != "" {
		o.endpoint(s)
		return
	}
	o.observe(s.At.UnixNano(), s.Code, s.Err)
}

// endpoint reports one endpoint of several going or coming back; one
// that answers proves the platform reachable.
func (o *outage) endpoint(s backend.Signal) {
	if s.Err != nil {
		o.j.event(Event{Kind: PlatformUnreachable, Endpoint: s.Endpoint, Err: s.Err, Code: s.Code})
		return
	}
	o.j.event(Event{Kind: PlatformReachable, Endpoint: s.Endpoint})
	o.reached(s.At.UnixNano())
}

// observe takes one outcome: at is when its request was sent (for a
// driver's own requests, when it says).
func (o *outage) observe(at int64, code backend.ErrorCode, err error) {
	switch {
	case code == backend.Unreachable:
		o.unreachable(at, err)
	case answered(code):
		o.reached(at)
	}
}

// answered reports whether an error of this code came from the platform.
func answered(code backend.ErrorCode) bool {
	switch code {
	case backend.OK, backend.TaskFailed, backend.ResourceExhausted, backend.Unavailable,
		backend.NotFound, backend.PermissionDenied, backend.InvalidArgument, backend.Crashed:
		return true
	}
	return false
}

func (o *outage) unreachable(sent int64, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down.Load() || sent < o.since {
		return
	}
	now := time.Now()
	o.down.Store(true)
	o.since, o.first, o.up = now.UnixNano(), err, make(chan struct{})
	o.gap = o.j.ex.opts.BackoffBase
	o.next = now.Add(o.gap).UnixNano()
	began := o.since
	o.timer = time.AfterFunc(max(o.wait, 0), func() { o.expire(began) })
	o.j.event(Event{Kind: PlatformUnreachable, Err: err, Code: backend.Unreachable, Delay: max(o.wait, 0)})
}

func (o *outage) reached(at int64) {
	if !o.down.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down.Load() || at < o.since {
		return
	}
	now := time.Now().UnixNano()
	lasted := time.Duration(now - o.since)
	o.down.Store(false)
	o.since = now
	close(o.up)
	o.timer.Stop()
	o.j.event(Event{Kind: PlatformReachable, Delay: lasted})
}

// expire stops the job if the outage that began at began still lasts.
func (o *outage) expire(began int64) {
	o.mu.Lock()
	if !o.down.Load() || o.since != began {
		o.mu.Unlock()
		return
	}
	cause := &OutageError{For: time.Duration(time.Now().UnixNano() - began), Err: o.first}
	o.cause.Store(cause)
	o.mu.Unlock()
	o.cancel(cause)
}

// await returns when an attempt may go: at once while the platform
// answers; during an outage, when it answers again or when this attempt
// is the next probe. It returns false when ctx is done first.
func (o *outage) await(ctx context.Context) bool {
	for {
		if !o.down.Load() {
			return true
		}
		o.mu.Lock()
		if !o.down.Load() {
			o.mu.Unlock()
			return true
		}
		now := time.Now().UnixNano()
		if now >= o.next {
			o.gap = min(2*o.gap, o.j.ex.opts.BackoffMax)
			o.next = now + int64(o.gap)
			o.mu.Unlock()
			return true
		}
		up, d := o.up, time.Duration(o.next-now)
		o.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-up:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
	}
}
