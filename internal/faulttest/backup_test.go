package faulttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

const echoTask = "faulttest/echo"

func init() {
	overcast.Register(echoTask, func(ctx context.Context, n int) (int, error) { return n, nil })
}

// stuckDriver runs tasks in this process, except that task 0's first
// attempt hangs (its activation was lost: no record will ever appear)
// until release is closed, and its second attempt, the scheduler's backup
// copy, fails with code.
type stuckDriver struct {
	code    driver.ErrorCode
	release chan struct{}
}

type codedError struct{ code driver.ErrorCode }

func (e codedError) Error() string { return "injected " + e.code.String() }

func (d *stuckDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	switch {
	case inv.Index == 0 && inv.Attempt == 1:
		select {
		case <-d.release:
			return nil, codedError{driver.Lost}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case inv.Index == 0 && inv.Attempt == 2:
		return nil, codedError{d.code}
	}
	time.Sleep(5 * time.Millisecond)
	return &driver.Activation{ID: "a", Payload: worker.Handle(ctx, inv.Payload)}, nil
}

func (d *stuckDriver) Capacity() int { return 100 }
func (d *stuckDriver) Close() error  { return nil }

func (d *stuckDriver) ErrorCode(err error) driver.ErrorCode {
	var ce codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return driver.Unknown
}

// TestBackupRetried shows what happens when the backup copy of a task
// whose activation was lost fails with a retryable error (a 5xx, a 429 or
// a crash, about one backup in six under the fault mix): the task
// must still finish without waiting for the lost attempt to be given up,
// which on OpenWhisk takes the action's time limit plus a margin (90 s
// with the default limit of 60 s).
func TestBackupRetried(t *testing.T) {
	for _, code := range []driver.ErrorCode{driver.Unavailable, driver.ResourceExhausted, driver.Crashed} {
		t.Run(code.String(), func(t *testing.T) {
			d := &stuckDriver{code: code, release: make(chan struct{})}
			finished := make(chan struct{})
			rep := overcast.ReporterFunc(func(e overcast.Event) {
				if e.Kind == overcast.Finished && e.Index == 0 {
					close(finished)
				}
			})
			ex := overcast.NewExecutorFor(backend.New("stuck", d), &overcast.Options{Reporter: rep,
				BackoffBase: 10 * time.Millisecond, Speculation: overcast.Speculation{Min: 20 * time.Millisecond}})
			ins := make([]int, 20)
			for i := range ins {
				ins[i] = i
			}
			f := overcast.Map[int, int](context.Background(), ex, echoTask, ins)
			select {
			case <-finished:
			case <-time.After(5 * time.Second): // 250 times the straggler threshold
				t.Errorf("task 0 did not finish while its lost first attempt hung, after its backup failed with %v: "+
					"the backup is neither retried nor replaced", code)
			}
			close(d.release)
			outs, err := f.Wait(context.Background())
			if err != nil || outs[0] != 0 || outs[19] != 19 {
				t.Fatalf("outputs %v, %v", outs, err)
			}
		})
	}
}
