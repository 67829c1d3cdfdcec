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

	"github.com/overcast-sc/overcast/internal/ctxtime"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/worker"
)

// Task states, kept per task in job.state. A task's record is written only
// by the goroutine that moves its state from running to a final state, so
// each task's result is taken exactly once whatever duplicates arrive.
const (
	statePending uint32 = iota
	stateRunning
	stateDone
	stateFailed
	stateDelivering // one copy is delivering the output
)

// job is one run of the scheduler over n tasks. The scheduler is untyped:
// encode yields task i's encoded input and deliver takes its encoded
// output; the typed layer in map.go supplies both.
type job struct {
	ex   *Executor
	id   string
	seq  int
	task string
	n    int
	rep  Reporter
	// wants has bit k set when rep takes events of kind k.
	wants uint32
	log   JobLog

	encode  func(i int) ([]byte, error)
	deliver func(i int, out []byte) error
	// value, deliverValue and encodeOut are the unencoded forms, for a
	// backend that skips encoding.
	value        func(i int) any
	deliverValue func(i int, out any) error
	encodeOut    func(i int) ([]byte, error)
	direct       bool

	next      atomic.Int64
	remaining atomic.Int64
	retries   atomic.Int64
	throttles atomic.Int64
	// readBytes and writtenBytes sum the storage I/O of every attempt.
	readBytes, writtenBytes atomic.Int64
	state                   []atomic.Uint32
	attempts                []atomic.Int32 // attempts begun, numbering them
	tries                   []atomic.Int32 // attempts that count against MaxAttempts, over all copies
	invoked                 []atomic.Int64 // when the running attempt began, for straggler checks
	records                 Records
	spec                    speculation
	bills                   billing
	outage                  outage

	mu     sync.Mutex
	failed []*TaskFailure

	start, end time.Time
	cause      error
	allDone    chan struct{} // closed when every task is resolved
	done       chan struct{} // closed when the job is finalized
}

func newJob(ex *Executor, task string, n int) *job {
	id := ex.opts.JobID
	if id == "" {
		id = NewJobID()
	}
	j := &job{ex: ex, id: id, task: task, n: n, rep: ex.opts.Reporter, direct: ex.b.SkipEncoding(),
		state: make([]atomic.Uint32, n), attempts: make([]atomic.Int32, n), tries: make([]atomic.Int32, n), invoked: make([]atomic.Int64, n),
		records: NewRecords(n), allDone: make(chan struct{}), done: make(chan struct{})}
	j.remaining.Store(int64(n))
	j.spec.init(ex.opts.Speculation)
	j.wants = wantedKinds(j.rep)
	return j
}

// wantedKinds returns the kinds of events rep takes, as a bit set.
func wantedKinds(rep Reporter) uint32 {
	if rep == nil {
		return 0
	}
	f, ok := rep.(EventFilter)
	var set uint32
	for k := range EventKind(len(kindNames)) {
		if !ok || f.Wants(k) {
			set |= 1 << k
		}
	}
	return set
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
	defer j.finish(ctx)
	if err := j.openLog(); err != nil {
		j.cause = err
		return
	}
	defer j.logWindow()()
	j.event(Event{Kind: JobStarted, Tasks: j.n})
	if err := j.resumeCompleted(); err != nil {
		j.cause = err
		return
	}
	if j.wants&(1<<Queued) != 0 {
		for i := range j.n {
			if j.state[i].Load() == statePending {
				j.event(Event{Kind: Queued, Index: i})
			}
		}
	}
	if j.remaining.Load() == 0 {
		return
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	j.outage.begin(j, cancel)
	defer j.outage.end()
	var wg sync.WaitGroup
	slots := min(j.ex.Concurrency(), j.n)
	wg.Add(slots)
	for range slots {
		go func() {
			defer wg.Done()
			j.slot(ctx)
		}()
	}
	if j.spec.enabled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.speculate(ctx, &wg)
		}()
	}
	slotsDone := make(chan struct{})
	go func() { wg.Wait(); close(slotsDone) }()
	select {
	case <-j.allDone:
		// Losing copies of backed-up tasks may still be waiting on the
		// platform: cancel them. Drivers return at once when canceled, so
		// waiting for them costs little and lets them record their bills.
		cancel(nil)
		<-slotsDone
	case <-slotsDone:
	}
}

func (j *job) openLog() error {
	jr := j.ex.opts.Journal
	if jr == nil {
		return nil
	}
	j.seq = j.ex.nextSeq(j.id)
	log, err := jr.Job(j.id, j.seq, j.task, j.n)
	if err != nil {
		return err
	}
	j.log = log
	return nil
}

// logWindow records the backend's window in a journal that keeps it
// (WindowLog), now and at every change, until the returned function is
// called.
func (j *job) logWindow() (stop func()) {
	wl, ok := j.log.(WindowLog)
	if !ok {
		return func() {}
	}
	fl := j.ex.b.Flow()
	wl.Window(time.Now(), fl.Window, fl.MaxWindow)
	return j.ex.b.WatchWindow(func(c backend.WindowChange) { wl.Window(c.At, c.Window, c.MaxWindow) })
}

// resumeCompleted takes the outputs of tasks an earlier run finished.
func (j *job) resumeCompleted() error {
	if j.log == nil {
		return nil
	}
	take := func(i int, out []byte) {
		if i < 0 || i >= j.n || j.state[i].Load() != statePending {
			return
		}
		if err := j.deliver(i, out); err != nil {
			return // run it again
		}
		j.state[i].Store(stateDone)
		j.records.Set(i, &TaskRecord{State: Done, Resumed: true})
		j.resolved()
	}
	if rl, ok := j.log.(ResumeLog); ok {
		if err := rl.EachCompleted(take); err != nil {
			return fmt.Errorf("journal: read finished tasks: %w", err)
		}
		return nil
	}
	for i := range j.n {
		if out, ok := j.log.Completed(i); ok {
			take(i, out)
		}
	}
	return nil
}

func (j *job) finish(ctx context.Context) {
	j.end = time.Now()
	if j.cause == nil && j.remaining.Load() > 0 {
		j.cause = context.Cause(ctx)
		if oe := j.outage.cause.Load(); oe != nil {
			j.cause = oe
		}
	}
	j.mu.Lock()
	sort.Slice(j.failed, func(a, b int) bool { return j.failed[a].Index < j.failed[b].Index })
	j.mu.Unlock()
	j.attachBills()
	if j.log != nil {
		if err := j.log.Close(j.report()); err != nil && j.cause == nil {
			j.cause = err
		}
	}
	j.event(Event{Kind: JobFinished, Tasks: j.n})
	close(j.done)
}

func (j *job) resolved() {
	if j.remaining.Add(-1) == 0 {
		close(j.allDone)
	}
}

func (j *job) slot(ctx context.Context) {
	for ctx.Err() == nil {
		i := int(j.next.Add(1) - 1)
		if i >= j.n {
			return
		}
		if j.state[i].CompareAndSwap(statePending, stateRunning) {
			j.runTask(ctx, i)
		}
	}
}

// runTask runs task i until it succeeds, fails for good, or another copy
// of it resolves first.
func (j *job) runTask(ctx context.Context, i int) {
	req, err := j.request(ctx, i)
	if err != nil {
		j.fail(i, &TaskRecord{}, &TaskFailure{Index: i, Code: backend.InvalidArgument, Err: err})
		return
	}
	var rec TaskRecord
	if j.collect(ctx, i, &rec) {
		return
	}
	tries := 0 // this copy's attempts that counted against MaxAttempts
	var code backend.ErrorCode
	for sent := 0; ; sent++ {
		if !j.outage.await(ctx) {
			return
		}
		if !j.reserve(i) {
			// Backup copies took the task's last attempts and failed:
			// their last error is the task's.
			if bc, berr := j.spec.lastError(i); berr != nil {
				code, err = bc, berr
			}
			j.fail(i, &rec, &TaskFailure{Index: i, Attempts: int(j.tries[i].Load()), Code: code, Err: err})
			return
		}
		if sent > 0 {
			j.retries.Add(1) // counted when it goes, not when decided: a backup may resolve the task meanwhile
		}
		code, err = j.attempt(ctx, i, req, &rec, false)
		if code == backend.OK || j.final(i) || ctx.Err() != nil {
			return
		}
		switch code {
		case backend.ResourceExhausted:
			rec.Throttled++
			j.throttles.Add(1)
		case backend.Unreachable:
			// The platform never had it: await waits for the platform,
			// and the attempt does not count against MaxAttempts.
			j.event(Event{Kind: Retried, Index: i, Attempt: int(rec.Attempts), Err: err, Code: code})
			continue
		default:
			tries++
		}
		if !j.retryable(code) || int(j.tries[i].Load()) >= j.ex.opts.MaxAttempts {
			j.fail(i, &rec, &TaskFailure{Index: i, Attempts: int(j.tries[i].Load()), Code: code, Err: err})
			return
		}
		d := j.backoff(tries + int(rec.Throttled))
		j.event(Event{Kind: Retried, Index: i, Attempt: int(rec.Attempts), Err: err, Code: code, Delay: d})
		if !ctxtime.Sleep(ctx, d) {
			return
		}
	}
}

// reserve takes one of task i's MaxAttempts attempts, shared by all its
// copies; it reports false when none is left. A throttled attempt gives
// its reservation back (see attempt): refusals do not count.
func (j *job) reserve(i int) bool {
	for {
		n := j.tries[i].Load()
		if int(n) >= j.ex.opts.MaxAttempts {
			return false
		}
		if j.tries[i].CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// request builds task i's envelope, without its attempt number. An input
// over the backend's payload limit goes to storage (limitInput).
func (j *job) request(ctx context.Context, i int) (*worker.Request, error) {
	req := &worker.Request{Task: j.task, Job: j.id, Index: i}
	if !j.direct {
		in, err := j.encode(i)
		if err != nil {
			return nil, err
		}
		req.Input = in
	}
	if err := j.limitInput(ctx, req); err != nil {
		return nil, err
	}
	return req, nil
}

// final reports whether task i is already resolved.
func (j *job) final(i int) bool {
	s := j.state[i].Load()
	return s == stateDone || s == stateFailed
}

func (j *job) retryable(code backend.ErrorCode) bool {
	if code.Retryable() {
		return true
	}
	return j.ex.opts.RetryTaskErrors && (code == backend.TaskFailed || code == backend.DeadlineExceeded)
}

func (j *job) fail(i int, rec *TaskRecord, f *TaskFailure) {
	if !j.state[i].CompareAndSwap(stateRunning, stateFailed) {
		return
	}
	if f.Err == nil {
		// Every path above carries an error; this keeps a failure that
		// lost it from reaching callers as a nil error.
		f.Err = fmt.Errorf("task %d failed after %d attempts", i, f.Attempts)
	}
	rec.State = TaskFailedState
	rec.Attempts = j.tries[i].Load()
	rec.Spent = j.bills.of(i)
	j.records.Set(i, rec)
	j.mu.Lock()
	j.failed = append(j.failed, f)
	j.mu.Unlock()
	if j.log != nil {
		j.log.Failed(i, rec, f)
	}
	j.event(Event{Kind: Failed, Index: i, Attempt: f.Attempts, Err: f.Err, Code: f.Code})
	j.resolved()
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
	if j.wants&(1<<e.Kind) == 0 {
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
	unfinished := int(j.remaining.Load())
	if len(j.failed) == 0 && unfinished == 0 && j.cause == nil {
		return nil
	}
	je := &JobError{Job: j.id, Task: j.task, Tasks: j.n, Failed: j.failed, Unfinished: unfinished}
	if unfinished > 0 {
		je.Cause = j.cause
		if je.Cause == nil {
			je.Cause = errors.New("stopped")
		}
	} else if j.cause != nil {
		return j.cause // the journal failed to record a finished job
	}
	return je
}

func (j *job) report() *Report {
	return &Report{Job: j.id, Task: j.task, Backend: j.ex.b.Name(), Tasks: j.n,
		Concurrency: j.ex.Concurrency(), Start: j.start, End: j.end, Records: j.records,
		Failed: j.failed, Retries: j.retries.Load(), Throttles: j.throttles.Load(),
		Backups: j.spec.launched.Load(), BackupWins: j.spec.wins.Load(),
		ReadBytes: j.readBytes.Load(), WrittenBytes: j.writtenBytes.Load()}
}
