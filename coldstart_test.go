package overcast_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// initDriver runs tasks in this process, as the sim's in-process mode
// does, and reports an init time for the first cold attempts as
// OpenWhisk's initTime annotation does.
type initDriver struct {
	cold  int64
	calls atomic.Int64
}

func (d *initDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	act := &driver.Activation{ID: "a", Payload: worker.Handle(ctx, inv.Payload)}
	if d.calls.Add(1) <= d.cold {
		act.Init = 5 * time.Millisecond
	}
	return act, nil
}
func (d *initDriver) Capacity() int                        { return 1 }
func (d *initDriver) ErrorCode(err error) driver.ErrorCode { return driver.Unknown }
func (d *initDriver) Close() error                         { return nil }

// TestColdStartsAreThePlatformsCount: several containers served by one
// worker process are each a cold start when the platform says so, though
// the process ran a task before.
func TestColdStartsAreThePlatformsCount(t *testing.T) {
	ctx := context.Background()
	// Whatever ran before, the worker process has now run a task.
	worker.Handle(ctx, []byte(`{"task":"test/double","input":1}`))
	d := &initDriver{cold: 3}
	ex := overcast.NewExecutorFor(backend.New("initsim", d), nil)
	f := overcast.Map[int, int](ctx, ex, "test/double", ints(10))
	if _, err := f.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	recs := f.Report().Records
	cold := 0
	for i := range recs.Len() {
		if recs.Cold(i) {
			cold++
		}
	}
	if cold != 3 {
		t.Fatalf("%d cold starts recorded, want the platform's 3", cold)
	}
}
