package report

import (
	"context"
	"errors"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

func init() {
	overcast.Register("report/double", func(ctx context.Context, n int) (int, error) { return 2 * n, nil })
}

// billErr is a platform error; billed is what the platform billed for the
// attempt, when it ran.
type billErr struct {
	code   driver.ErrorCode
	billed time.Duration
}

func (e *billErr) Error() string                 { return e.code.String() }
func (e *billErr) BilledDuration() time.Duration { return e.billed }

// billDriver is a platform that reports a billed duration of 100+i ms for
// every answer of task i at 1,024 MB, and misbehaves for a few tasks:
//   - task 3's first attempt straggles until a backup copy has resolved
//     the task, then answers, billed 2,500 ms;
//   - task 5 crashes after 40 ms billed, is then throttled, then answers;
//   - task 7 is refused once as unavailable (nothing ran), then answers;
//   - task 8 crashes after 20 ms billed on every attempt.
type billDriver struct {
	resolved3 chan struct{}
}

func (d *billDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	billed := time.Duration(100+inv.Index) * time.Millisecond
	switch {
	case inv.Index == 3 && inv.Attempt == 1:
		<-d.resolved3 // a straggler runs on whether anyone waits or not
		billed = 2500 * time.Millisecond
	case inv.Index == 5 && inv.Attempt == 1, inv.Index == 8:
		return nil, &billErr{driver.Crashed, map[bool]time.Duration{true: 40, false: 20}[inv.Index == 5] * time.Millisecond}
	case inv.Index == 5 && inv.Attempt == 2:
		return nil, &billErr{code: driver.ResourceExhausted}
	case inv.Index == 7 && inv.Attempt == 1:
		return nil, &billErr{code: driver.Unavailable}
	}
	return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload), Billed: billed, MemoryMB: 1024}, nil
}
func (d *billDriver) Capacity() int { return 10 }
func (d *billDriver) ErrorCode(err error) driver.ErrorCode {
	var be *billErr
	if errors.As(err, &be) {
		return be.code
	}
	return driver.Unknown
}
func (d *billDriver) Close() error { return nil }

// A job with a backup, crashes, a throttled and a refused request is billed
// what the platform bills, which is computed here by hand.
func TestJobBillMatchesThePlatforms(t *testing.T) {
	d := &billDriver{resolved3: make(chan struct{})}
	var once sync.Once
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		if e.Kind == overcast.Finished && e.Index == 3 {
			once.Do(func() { close(d.resolved3) })
		}
	})
	ex := overcast.NewExecutorFor(backend.New("bill", d), &overcast.Options{MaxAttempts: 3, Reporter: rep,
		BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
		Speculation: overcast.Speculation{Min: 20 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := overcast.Map[int, int](ctx, ex, "report/double", make([]int, 10))
	if _, err := f.Wait(ctx); err == nil {
		t.Fatal("task 8 did not fail")
	}
	r := f.Report()
	if !r.Records.At(3).Backup || r.Records.At(5).Attempts != 2 || r.Records.At(5).Throttled != 1 || r.Records.At(8).Attempts != 3 {
		t.Fatalf("records 3, 5, 8: %+v\n%+v\n%+v", r.Records.At(3), r.Records.At(5), r.Records.At(8))
	}
	if got, walked := r.Records.Tally(), overcast.TallyRecords(r.Records); !reflect.DeepEqual(got, walked) {
		t.Fatalf("tally kept as tasks resolved %+v\nover every record %+v", got, walked)
	}
	u := MeasureUsage(r, 1024)
	if w := walkUsage(r, 1024); !near(u, w) || u.Measured != w.Measured {
		t.Fatalf("usage = %+v\nwalked  %+v", u, w)
	}
	// Winners: 100+i ms for i in 0..9 but 8 = 937 ms, 9 invocations.
	// Retries: task 5's crash (40 ms) and task 8's three (60 ms).
	// Backups: task 3's straggler, 2,500 ms: 1 invocation.
	// The throttled and the refused request are free. All at 1 GB.
	want := Usage{Invocations: 9 + 4 + 1, GBSeconds: 3.537, Measured: true, MemoryMB: 1024,
		FailedInvocations: 4, FailedGBSeconds: 0.1, LosingInvocations: 1, LosingGBSeconds: 2.5}
	if !near(u, want) || !u.Measured {
		t.Fatalf("usage = %+v\nwant    %+v", u, want)
	}
	for _, c := range Estimate(u, map[string]Price{"arm": Prices["lambda-arm64"]}) {
		// Lambda arm64: $0.0000133334 per GB-s, $0.20 per million requests.
		total := 3.537*0.0000133334 + 14*0.20/1e6
		retry := 0.1*0.0000133334 + 4*0.20/1e6
		backup := 2.5*0.0000133334 + 1*0.20/1e6
		if math.Abs(c.USD-total) > 1e-12 || math.Abs(c.FailedUSD-retry) > 1e-12 || math.Abs(c.LosingUSD-backup) > 1e-12 {
			t.Fatalf("cost %+v, want $%g, retries $%g, backups $%g", c, total, retry, backup)
		}
	}
}
