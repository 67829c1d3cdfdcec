package overcast

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// job is one run of the scheduler over n tasks. The scheduler is untyped:
// encode yields task i's encoded input and deliver takes its encoded
// output; the typed layer in map.go supplies both.
type job struct {
	ex      *Executor
	id      string
	task    string
	n       int
	encode  func(i int) ([]byte, error)
	deliver func(i int, out []byte) error
	// value and deliverValue are the unencoded forms, for a backend that
	// skips encoding.
	value        func(i int) any
	deliverValue func(i int, out any) error
	direct       bool
	rep          Reporter

	next      atomic.Int64
	retries   atomic.Int64
	throttles atomic.Int64
	records   []TaskRecord

	mu     sync.Mutex
	failed []*TaskFailure

	start, end time.Time
	cause      error
	done       chan struct{}
}

func newJob(ex *Executor, task string, n int) *job {
	id := ex.opts.JobID
	if id == "" {
		id = NewJobID()
	}
	return &job{ex: ex, id: id, task: task, n: n, rep: ex.opts.Reporter, direct: ex.b.SkipEncoding(),
		records: make([]TaskRecord, n), done: make(chan struct{})}
}

// NewJobID returns a fresh job id: the UTC time and a random suffix.
func NewJobID() string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:])
}

// run dispatches every task with a bounded number of slots and closes done.
func (j *job) run(ctx context.Context) {
	j.start = time.Now()
	j.event(Event{Kind: JobStarted, Tasks: j.n})
	if j.rep != nil {
		for i := range j.n {
			j.event(Event{Kind: Queued, Index: i})
		}
	}
	slots := min(j.ex.Concurrency(), j.n)
	var wg sync.WaitGroup
	wg.Add(slots)
	for range slots {
		go func() {
			defer wg.Done()
			j.slot(ctx)
		}()
	}
	wg.Wait()
	j.end = time.Now()
	j.cause = context.Cause(ctx)
	sort.Slice(j.failed, func(a, b int) bool { return j.failed[a].Index < j.failed[b].Index })
	j.event(Event{Kind: JobFinished, Tasks: j.n})
	close(j.done)
}

func (j *job) slot(ctx context.Context) {
	for ctx.Err() == nil {
		i := int(j.next.Add(1) - 1)
		if i >= j.n {
			return
		}
		j.runTask(ctx, i)
	}
}

// runTask runs task i to success or final failure.
func (j *job) runTask(ctx context.Context, i int) {
	rec := &j.records[i]
	rec.State = Running
	req := worker.Request{Task: j.task, Job: j.id, Index: i}
	if !j.direct {
		in, err := j.encode(i)
		if err != nil {
			j.fail(i, &TaskFailure{Index: i, Code: backend.InvalidArgument, Err: err})
			return
		}
		req.Input = in
	}
	tries := 0 // attempts that count against MaxAttempts
	for attempt := 1; ; attempt++ {
		rec.Attempts = int32(attempt)
		code, err := j.attempt(ctx, i, &req, attempt)
		if code == backend.OK {
			return
		}
		if ctx.Err() != nil {
			rec.State = Pending
			return
		}
		if code == backend.ResourceExhausted {
			rec.Throttled++
			j.throttles.Add(1)
		} else {
			tries++
		}
		if !j.retryable(code) || tries >= j.ex.opts.MaxAttempts {
			j.fail(i, &TaskFailure{Index: i, Attempts: attempt, Code: code, Err: err})
			return
		}
		d := j.backoff(tries + int(rec.Throttled))
		j.retries.Add(1)
		j.event(Event{Kind: Retried, Index: i, Attempt: attempt, Err: err, Code: code, Delay: d})
		if !sleep(ctx, d) {
			rec.State = Pending
			return
		}
	}
}

func (j *job) retryable(code backend.ErrorCode) bool {
	if code.Retryable() {
		return true
	}
	return j.ex.opts.RetryTaskErrors && (code == backend.TaskFailed || code == backend.DeadlineExceeded)
}

// attempt makes one invocation of task i and records its outcome.
func (j *job) attempt(ctx context.Context, i int, req *worker.Request, attempt int) (backend.ErrorCode, error) {
	rec := &j.records[i]
	req.Attempt = attempt
	inv := &driver.Invocation{Task: j.task, Job: j.id, Index: i, Attempt: attempt}
	actx := ctx
	if t := j.ex.opts.TaskTimeout; t > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
		inv.Deadline = time.Now().Add(t)
		req.DeadlineMS = inv.Deadline.UnixMilli()
	}
	if j.direct {
		inv.Request, inv.Value = req, j.value(i)
	} else {
		payload, err := worker.EncodeRequest(req)
		if err != nil {
			return backend.InvalidArgument, err
		}
		inv.Payload = payload
	}
	j.event(Event{Kind: Started, Index: i, Attempt: attempt})
	rec.Invoked = time.Now().UnixNano()
	act, err := j.ex.b.Invoke(actx, inv)
	rec.Returned = time.Now().UnixNano()
	if err != nil {
		code := backend.Code(err)
		if code == backend.Canceled && ctx.Err() == nil && actx.Err() != nil {
			code = backend.DeadlineExceeded
		}
		if code == backend.DeadlineExceeded {
			err = fmt.Errorf("timed out after %v: %w", j.ex.opts.TaskTimeout, err)
		}
		return code, err
	}
	return j.accept(i, act)
}

// accept decodes an activation and delivers the task's output.
func (j *job) accept(i int, act *driver.Activation) (backend.ErrorCode, error) {
	rec := &j.records[i]
	rec.BackendID, rec.Wait, rec.Init = act.ID, act.Wait, act.Init
	rec.Billed, rec.MemoryMB = act.Billed, int32(act.MemoryMB)
	if err := j.take(i, act); err != nil {
		return backend.TaskFailed, err
	}
	rec.State = Done
	j.event(Event{Kind: Finished, Index: i, Attempt: int(rec.Attempts)})
	return backend.OK, nil
}

// take delivers the output an activation carries, or returns the task's error.
func (j *job) take(i int, act *driver.Activation) error {
	rec := &j.records[i]
	if v := act.Value; v != nil {
		rec.Start, rec.End, rec.Cold = v.Stats.StartNS, v.Stats.EndNS, v.Stats.Cold
		if v.Error != nil {
			return v.Error
		}
		return j.deliverValue(i, v.Output)
	}
	resp, err := worker.DecodeResponse(act.Payload)
	if err != nil {
		return err
	}
	rec.Start, rec.End, rec.Cold = resp.Stats.StartNS, resp.Stats.EndNS, resp.Stats.Cold
	if resp.Error != nil {
		return resp.Error
	}
	return j.deliver(i, resp.Output)
}

func (j *job) fail(i int, f *TaskFailure) {
	j.records[i].State = TaskFailedState
	j.mu.Lock()
	j.failed = append(j.failed, f)
	j.mu.Unlock()
	j.event(Event{Kind: Failed, Index: i, Attempt: f.Attempts, Err: f.Err, Code: f.Code})
}

// backoff returns the delay before retry n (n >= 1): exponential from
// BackoffBase, capped at BackoffMax, jittered uniformly over its upper half.
func (j *job) backoff(n int) time.Duration {
	d := j.ex.opts.BackoffBase
	for k := 1; k < n && d < j.ex.opts.BackoffMax; k++ {
		d *= 2
	}
	d = min(d, j.ex.opts.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

func (j *job) event(e Event) {
	if j.rep == nil {
		return
	}
	e.Job, e.Task = j.id, j.task
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	j.rep.Report(e)
}

// err returns the job's outcome as a *JobError, or nil when every task succeeded.
func (j *job) err() error {
	unfinished := 0
	for i := range j.records {
		if s := j.records[i].State; s == Pending || s == Running {
			unfinished++
		}
	}
	if len(j.failed) == 0 && unfinished == 0 {
		return nil
	}
	je := &JobError{Job: j.id, Task: j.task, Tasks: j.n, Failed: j.failed, Unfinished: unfinished}
	if unfinished > 0 {
		je.Cause = j.cause
		if je.Cause == nil {
			je.Cause = errors.New("stopped")
		}
	}
	return je
}

func (j *job) report() *Report {
	return &Report{Job: j.id, Task: j.task, Backend: j.ex.b.Name(), Tasks: j.n,
		Concurrency: j.ex.Concurrency(), Start: j.start, End: j.end, Records: j.records,
		Failed: j.failed, Retries: j.retries.Load(), Throttles: j.throttles.Load()}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
