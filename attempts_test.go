package overcast_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// goneDriver answers every task at once but one, whose platform goes away
// while its first attempt runs: that attempt hangs until a second copy of
// the task is invoked (a backup), then its answer is lost, and every later
// attempt finds the platform unavailable.
type goneDriver struct {
	victim int
	mu     sync.Mutex
	calls  int // invocations of the victim
	gone   chan struct{}
}

func (d *goneDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if inv.Index != d.victim {
		return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}, nil
	}
	d.mu.Lock()
	d.calls++
	first := d.calls == 1
	if d.calls == 2 {
		close(d.gone)
	}
	d.mu.Unlock()
	if !first {
		return nil, codeErr{driver.Unavailable}
	}
	select {
	case <-d.gone:
		return nil, codeErr{driver.Lost}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
func (d *goneDriver) Capacity() int { return 4 }
func (d *goneDriver) ErrorCode(err error) driver.ErrorCode {
	var ce codeErr
	if errors.As(err, &ce) {
		return ce.code
	}
	return driver.Unknown
}
func (d *goneDriver) Close() error { return nil }

// A task whose platform goes away while a backup copy runs is invoked at
// most MaxAttempts times over all its copies, and its record and failure
// say so: backup copies used to retry on their own cap and the record
// counted every copy's attempts, so a task showed more attempts than the cap.
func TestAttemptsNeverExceedTheCapWithBackups(t *testing.T) {
	const maxAttempts = 3
	d := &goneDriver{victim: 3, gone: make(chan struct{})}
	ex := overcast.NewExecutorFor(backend.New("gone", d), &overcast.Options{MaxAttempts: maxAttempts,
		BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
		Speculation: overcast.Speculation{Min: 20 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := overcast.Map[int, int](ctx, ex, "test/double", ints(10))
	_, err := f.Wait(ctx)
	var je *overcast.JobError
	if !errors.As(err, &je) || len(je.Failed) != 1 || je.Failed[0].Index != 3 {
		t.Fatalf("error = %v; want task 3 failed", err)
	}
	rep := f.Report()
	if rep.Backups == 0 {
		t.Fatal("no backup copy was launched")
	}
	d.mu.Lock()
	calls := d.calls
	d.mu.Unlock()
	if calls > maxAttempts || je.Failed[0].Attempts > maxAttempts || rep.Records.At(3).Attempts > maxAttempts {
		t.Fatalf("task 3: %d invocations, failure says %d attempts, record %d; cap %d",
			calls, je.Failed[0].Attempts, rep.Records.At(3).Attempts, maxAttempts)
	}
	if je.Failed[0].Attempts != calls || int(rep.Records.At(3).Attempts) != calls {
		t.Fatalf("task 3: %d invocations, failure says %d attempts, record %d", calls, je.Failed[0].Attempts, rep.Records.At(3).Attempts)
	}
}
