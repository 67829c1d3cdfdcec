package overcast

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// attempt makes one invocation of task i. rec collects what this copy saw;
// if the attempt succeeds and this copy is the first to resolve the task,
// rec becomes the task's record.
func (j *job) attempt(ctx context.Context, i int, tmpl *worker.Request, rec *TaskRecord, backup bool) (backend.ErrorCode, error) {
	n := int(j.attempts[i].Add(1))
	req := *tmpl
	req.Attempt = n
	req.OutputKey = j.outputKey(&req, n)
	rec.Attempts = int32(n)
	// rec describes this attempt only: a retry does not inherit the
	// timing of the one before.
	rec.Dispatched, rec.Start, rec.End, rec.Cold = 0, 0, 0, false
	rec.Billed, rec.MemoryMB, rec.Wait, rec.Init = 0, 0, 0, 0
	rec.Collected, rec.BackendID = false, "" // a failed collect leaves them
	rec.ReadBytes, rec.WrittenBytes = 0, 0
	inv := &driver.Invocation{Task: j.task, Job: j.id, Index: i, Attempt: n}
	dl, _ := j.log.(DispatchLog)
	inv.Dispatched = func(id string) {
		// The platform has it: from now on it is running or queued there,
		// not waiting in the driver, so the straggler clock starts here.
		rec.Dispatched = time.Now().UnixNano()
		if !j.bills.dispatch.Load() {
			j.bills.dispatch.Store(true)
		}
		if !backup {
			j.invoked[i].Store(rec.Dispatched)
		}
		if dl != nil && id != "" {
			dl.Dispatched(i, n, id)
		}
	}
	actx := ctx
	if t := j.ex.opts.TaskTimeout; t > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
		inv.Deadline = time.Now().Add(t)
		req.DeadlineMS = inv.Deadline.UnixMilli()
	}
	if j.direct {
		inv.Request, inv.Value = &req, j.value(i)
	} else {
		// The input came from json.Marshal in request: valid, so it is not
		// checked again on every attempt as EncodeRequest would.
		inv.Payload = worker.AppendRequest(make([]byte, 0, 64+len(req.Input)), &req)
	}
	j.event(Event{Kind: Started, Index: i, Attempt: n})
	rec.Invoked = time.Now().UnixNano()
	if !backup {
		j.invoked[i].Store(rec.Invoked)
	}
	act, err := j.ex.b.Invoke(actx, inv)
	rec.Returned = time.Now().UnixNano()
	if j.log != nil {
		j.log.Attempted(i, n, attemptID(act, err), err)
	}
	code, err := j.outcome(ctx, actx, i, rec, act, err)
	if code == backend.ResourceExhausted || code == backend.Unreachable {
		j.tries[i].Add(-1) // refused or never sent: it does not count against MaxAttempts
	}
	// Timed by when the request went: an answer to one sent before an
	// outage began (a task that was running) does not end it; a probe's does.
	j.outage.observe(rec.Invoked, code, err)
	j.account(i, rec, act, err, code)
	return code, err
}

// attemptID is the platform's id for an attempt: the activation's, or the
// one a failed attempt's error carries (driver.AttemptError), so that the
// logs of a crashed attempt can be found later.
func attemptID(act *driver.Activation, err error) string {
	if act != nil {
		return act.ID
	}
	var ae driver.AttemptError
	if errors.As(err, &ae) {
		return ae.AttemptID()
	}
	return ""
}

// outcome classifies an attempt's result and, on success, resolves the task.
func (j *job) outcome(ctx, actx context.Context, i int, rec *TaskRecord, act *driver.Activation, err error) (backend.ErrorCode, error) {
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
	rec.BackendID, rec.Wait, rec.Init = act.ID, act.Wait, act.Init
	rec.Billed, rec.MemoryMB = act.Billed, int32(act.MemoryMB)
	out, claimed, err := j.take(ctx, i, act, rec)
	if err != nil {
		if backend.Code(err) == backend.Lost {
			return backend.Lost, err
		}
		return backend.TaskFailed, err
	}
	if claimed {
		j.succeed(i, rec, out)
	}
	return backend.OK, nil
}

// take delivers the output an activation carries, or returns the task's
// error. Delivery happens only for the first copy to get here (claimed);
// it returns the encoded output for the journal.
func (j *job) take(ctx context.Context, i int, act *driver.Activation, rec *TaskRecord) (out []byte, claimed bool, err error) {
	if v := act.Value; v != nil {
		rec.Start, rec.End, rec.Cold = v.Stats.StartNS, v.Stats.EndNS, v.Stats.Cold
		j.countIO(rec, v.Stats)
		if v.Error != nil {
			return nil, false, v.Error
		}
		if !j.claim(i) {
			return nil, false, nil
		}
		if err := j.deliverValue(i, v.Output); err != nil {
			return nil, false, j.unclaim(i, err)
		}
		if j.log != nil {
			if out, err = j.encodeOut(i); err != nil {
				return nil, false, j.unclaim(i, err)
			}
		}
		return out, true, nil
	}
	resp, err := worker.DecodeResponse(act.Payload)
	if err != nil {
		return nil, false, err
	}
	// A platform that reports cold starts (OpenWhisk's initTime) knows
	// best: a worker process serving several containers, as the sim's
	// in-process mode does, sees only its own first task.
	rec.Start, rec.End, rec.Cold = resp.Stats.StartNS, resp.Stats.EndNS, resp.Stats.Cold || act.Init > 0
	j.countIO(rec, resp.Stats)
	if resp.Error != nil {
		return nil, false, resp.Error
	}
	if resp.OutputKey != "" && !j.final(i) {
		if resp.Output, err = j.fetchOutput(ctx, resp.OutputKey); err != nil {
			return nil, false, err
		}
	}
	if !j.claim(i) {
		return nil, false, nil
	}
	if err := j.deliver(i, resp.Output); err != nil {
		return nil, false, j.unclaim(i, err)
	}
	return resp.Output, true, nil
}

// countIO keeps the storage I/O an attempt's worker counted in its record
// and in the job's sums over every attempt.
func (j *job) countIO(rec *TaskRecord, s worker.Stats) {
	rec.ReadBytes, rec.WrittenBytes = s.ReadBytes, s.WrittenBytes
	if s.ReadBytes != 0 {
		j.readBytes.Add(s.ReadBytes)
	}
	if s.WrittenBytes != 0 {
		j.writtenBytes.Add(s.WrittenBytes)
	}
}

// claim makes this copy the one that delivers task i's output. A task is
// claimed by moving it to stateDelivering; only one copy can.
func (j *job) claim(i int) bool {
	return j.state[i].CompareAndSwap(stateRunning, stateDelivering)
}

func (j *job) unclaim(i int, err error) error {
	j.state[i].Store(stateRunning)
	return err
}

// succeed resolves task i after this copy delivered its output.
func (j *job) succeed(i int, rec *TaskRecord, out []byte) {
	rec.State = Done
	rec.Attempts = j.tries[i].Load()
	rec.Spent = j.bills.of(i)
	j.records.Set(i, rec)
	if j.log != nil {
		j.log.Finished(i, rec, out)
	}
	j.state[i].Store(stateDone)
	j.event(Event{Kind: Finished, Index: i, Attempt: int(rec.Attempts)})
	j.resolved()
}
