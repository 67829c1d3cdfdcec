//go:build linux

package lambda_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	_ "github.com/overcast-sc/overcast/backend/lambda"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/workloads/pi"
	"github.com/overcast-sc/overcast/workloads/primes"
)

func TestConformance(t *testing.T) {
	eps := emulators(t)
	drivertest.RunConformanceTests(t, drivertest.Harness{
		Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
			return backend.Open(ctx, lambdaURL(eps, ""))
		},
		Large: 300,
		// The scheduler's deadline cuts the invoke; the worker's context
		// carries the same deadline, so the emulator is free soon after.
		Timeout: time.Second,
	})
}

// maxAttempts caps retries of crashed tasks in these tests.
const maxAttempts = 2

func executor(t *testing.T, url string) *overcast.Executor {
	t.Helper()
	// No backup copies: tests count attempts, and the slow task is slow on purpose.
	opts := &overcast.Options{BackoffBase: 10 * time.Millisecond, MaxAttempts: maxAttempts, Speculation: overcast.Speculation{Disable: true}}
	ex, err := overcast.NewExecutor(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { ex.Close() })
	return ex
}

func TestPiMatchesLocal(t *testing.T) {
	ex := executor(t, lambdaURL(emulators(t), ""))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const samples, tasks, seed = 2_000_000, 20, 42
	got, rep, err := pi.Run(ctx, ex, samples, tasks, seed)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := pi.Run(ctx, executor(t, "local"), samples, tasks, seed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Inside != want.Inside || got.Samples != samples {
		t.Fatalf("lambda: %d inside of %d; local: %d inside of %d", got.Inside, got.Samples, want.Inside, want.Samples)
	}
	for i, r := range rep.Records.Slice() {
		if r.Billed <= 0 || r.MemoryMB <= 0 || r.End < r.Start || r.Start == 0 {
			t.Fatalf("record %d = %+v, want billed time, memory and worker timings", i, r)
		}
	}
}

func TestPrimesMatchesKnown(t *testing.T) {
	ex := executor(t, lambdaURL(emulators(t), ""))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const to, tasks = 10_000_000, 16
	got, _, err := primes.Run(ctx, ex, to, tasks)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := primes.Run(ctx, executor(t, "local"), to, tasks)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got != primes.Known[to] {
		t.Fatalf("lambda counted %d primes up to %d; local %d; known %d", got, uint64(to), want, primes.Known[to])
	}
}

// TestTaskFailures runs one job whose tasks fail in every way a function
// can, and checks each failure's code and message while the rest complete.
func TestTaskFailures(t *testing.T) {
	ex := executor(t, lambdaURL(emulators(t), ""))
	ins := make([]selftest.Input, 12)
	for i := range ins {
		ins[i].N = i
	}
	type want struct {
		code backend.ErrorCode
		msg  string
		or   string // another message the failure may carry instead
	}
	bad := map[int]want{
		2: {backend.TaskFailed, "bad input on purpose", ""},
		5: {backend.TaskFailed, "panic: kaboom", ""},
		// The emulator's timer and the task's context share the function's
		// deadline: whichever fires first ends the attempt, the emulator
		// with its timeout message, the task (whose sleep respects its
		// context) with the context's error. On a loaded machine either can.
		7:  {backend.TaskFailed, "Task timed out after 2.00 seconds", context.DeadlineExceeded.Error()},
		10: {backend.Crashed, "the function crashed: Runtime.ExitError", ""},
	}
	ins[2].Fail = "bad input on purpose"
	ins[5].Panic = "kaboom"
	ins[7].SleepMS = (functionTimeout + 5) * 1000 // past the emulator's timeout
	ins[10].Exit = 3
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outs, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
	je, ok := err.(*overcast.JobError)
	wantAttempts := map[int]int{10: maxAttempts} // a crash is retried; the others are the task's own
	if !ok {
		t.Fatalf("error = %v (%T), want a *overcast.JobError", err, err)
	}
	if len(je.Failed) != len(bad) || je.Unfinished != 0 {
		t.Fatalf("failures %v, unfinished %d; want tasks 2, 5, 7, 10", je.Failed, je.Unfinished)
	}
	for _, f := range je.Failed {
		w, ok := bad[f.Index]
		msgOK := strings.Contains(f.Err.Error(), w.msg) || (w.or != "" && strings.Contains(f.Err.Error(), w.or))
		if !ok || f.Code != w.code || !msgOK || f.Attempts != max(1, wantAttempts[f.Index]) {
			t.Errorf("task %d failed with %v (code %v, %d attempts); want code %v and %q", f.Index, f.Err, f.Code, f.Attempts, w.code, w.msg)
		}
	}
	for i, o := range outs {
		if _, failed := bad[i]; !failed && o.N != i {
			t.Errorf("output %d = %+v, want n=%d", i, o, i)
		}
	}
}

func TestPayloadTooLarge(t *testing.T) {
	ex := executor(t, lambdaURL(emulators(t), ""))
	ins := []selftest.Input{{N: 1}, {N: 2, Pad: strings.Repeat("x", 7<<20)}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outs, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
	je, ok := err.(*overcast.JobError)
	if !ok || len(je.Failed) != 1 || je.Failed[0].Index != 1 || je.Failed[0].Code != backend.InvalidArgument ||
		!strings.Contains(je.Failed[0].Err.Error(), "object storage") {
		t.Fatalf("error = %v, want task 1 refused as over 6 MB", err)
	}
	if outs[0].N != 1 {
		t.Errorf("output 0 = %+v, want n=1", outs[0])
	}
}

// BenchmarkEmulatorPool measures echo invocations through the emulator
// pool (one emulator with -benchtime, or all of them).
func BenchmarkEmulatorPool(b *testing.B) {
	eps := emulators(b)
	for _, n := range []int{1, len(eps)} {
		b.Run(strconv.Itoa(n)+"-emulators", func(b *testing.B) {
			ex, err := overcast.NewExecutor(context.Background(), lambdaURL(eps[:n], ""), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ex.Close()
			ins := make([]selftest.Input, b.N)
			b.ResetTimer()
			if _, err := overcast.Map[selftest.Input, selftest.Output](context.Background(), ex, selftest.Echo, ins).Wait(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invokes/s")
		})
	}
}
