package report

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// haltDriver answers the tasks below half at once, billed 10+i ms at
// 512 MB (odd tasks report no duration or memory), crashes every
// seventh of them once after 5 ms billed, and holds the others until the
// job is stopped.
type haltDriver struct{ half int }

func (d *haltDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if inv.Index >= d.half {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if inv.Index%7 == 0 && inv.Attempt == 1 {
		return nil, &billErr{driver.Crashed, 5 * time.Millisecond}
	}
	a := &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}
	if inv.Index%2 == 0 {
		a.Billed, a.MemoryMB = time.Duration(10+inv.Index)*time.Millisecond, 512
	}
	return a, nil
}
func (d *haltDriver) Capacity() int                        { return 8 }
func (d *haltDriver) ErrorCode(err error) driver.ErrorCode { return (&billDriver{}).ErrorCode(err) }
func (d *haltDriver) Close() error                         { return nil }

// walkUsage is MeasureUsage as it was before the records kept a tally:
// every record, one by one.
func walkUsage(r *overcast.Report, memoryMB int) Usage {
	u := Usage{MemoryMB: memoryMB, Measured: true}
	for i := range r.Records.Len() {
		rec := r.Records.At(i)
		u.AddRecord(&rec, memoryMB)
	}
	return u
}

// The summary of a job stopped half way (Ctrl-C) comes from the tally the
// records keep as tasks resolve, not from a walk over every record, and
// says exactly what the walk says.
func TestInterruptedJobSummaryNeedsNoWalk(t *testing.T) {
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var done atomic.Int64
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		if e.Kind == overcast.Finished && done.Add(1) == n/2 {
			cancel()
		}
	})
	ex := overcast.NewExecutorFor(backend.New("halt", &haltDriver{half: n / 2}), &overcast.Options{MaxAttempts: 3,
		Reporter: rep, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	f := overcast.Map[int, int](ctx, ex, "report/double", make([]int, n))
	if _, err := f.Wait(context.WithoutCancel(ctx)); err == nil {
		t.Fatal("the stopped job did not say so")
	}
	r := f.Report()
	tally, walked := r.Records.Tally(), overcast.TallyRecords(r.Records)
	if !reflect.DeepEqual(tally, walked) {
		t.Fatalf("tally kept as tasks resolved %+v\nover every record %+v", tally, walked)
	}
	if tally.Done != n/2 || tally.Failed != 0 || tally.Unreported == 0 || len(tally.Billed) < 3 {
		t.Fatalf("tally %+v; want %d done, some unreported durations, output and retry bills at two memory sizes", tally, n/2)
	}
	st := Summarize(r)
	if st.Done != walked.Done || st.Failed != walked.Failed || st.Cold != walked.Cold || r.Succeeded() != n/2 {
		t.Fatalf("summary %+v, succeeded %d; walked %+v", st, r.Succeeded(), walked)
	}
	u, w := MeasureUsage(r, 2048), walkUsage(r, 2048)
	if !near(u, w) || u.Measured != w.Measured || u.FailedInvocations == 0 {
		t.Fatalf("usage = %+v\nwalked  %+v", u, w)
	}
}
