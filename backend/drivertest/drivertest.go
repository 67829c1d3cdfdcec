// Package drivertest is the conformance suite every Overcast backend must
// pass. A driver's test supplies a Harness that opens its backend; the
// suite then runs the selftest tasks through the public API and checks
// ordering, task errors, panics, cancellation, timeouts and large counts.
package drivertest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
)

// Harness opens the backend under test.
type Harness struct {
	// Open returns a fresh backend; the suite closes it.
	Open func(ctx context.Context, t *testing.T) (*backend.Backend, error)
	// Large is the task count of the large-count test; zero means 10,000.
	Large int
	// Concurrency overrides the backend's capacity; zero keeps it.
	Concurrency int
	// Timeout is the per-task timeout the timeout test sets; zero means 1 s.
	// Backends with coarse timeouts (whole seconds) set more.
	Timeout time.Duration
}

// RunConformanceTests runs the suite.
func RunConformanceTests(t *testing.T, h Harness) {
	if h.Large == 0 {
		h.Large = 10000
	}
	if h.Timeout == 0 {
		h.Timeout = time.Second
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, h *Harness)
	}{
		{"Order", testOrder},
		{"TaskErrors", testTaskErrors},
		{"Panic", testPanic},
		{"NoRetryOfTaskErrors", testNoRetry},
		{"RetryTaskErrorsWhenAsked", testRetryWhenAsked},
		{"Timeout", testTimeout},
		{"Cancel", testCancel},
		{"Large", testLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, &h) })
	}
}

func executor(t *testing.T, h *Harness, opts *overcast.Options) *overcast.Executor {
	t.Helper()
	b, err := h.Open(context.Background(), t)
	if err != nil {
		t.Fatalf("open backend: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	if opts == nil {
		opts = &overcast.Options{}
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = h.Concurrency
	}
	opts.BackoffBase = 10 * time.Millisecond
	return overcast.NewExecutorFor(b, opts)
}

func run(t *testing.T, ex *overcast.Executor, task string, ins []selftest.Input) ([]selftest.Output, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return overcast.Map[selftest.Input, selftest.Output](ctx, ex, task, ins).Wait(ctx)
}

func inputs(n int) []selftest.Input {
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i].N = i * 7
	}
	return ins
}

// testOrder checks that outputs come back in input order and that a task
// nothing failed ran once. The one legitimate second attempt is a retry
// after a throttle (the driver hands on the window slot of a slow
// activation, so a loaded machine can overshoot the platform's limit);
// backup copies, which a loaded machine can start for any task, are off.
func testOrder(t *testing.T, h *Harness) {
	var (
		mu        sync.Mutex
		throttled = map[int]int{}
		retried   []overcast.Event
	)
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		if e.Kind != overcast.Retried {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if e.Code == backend.ResourceExhausted {
			throttled[e.Index]++
		} else {
			retried = append(retried, e)
		}
	})
	ex := executor(t, h, &overcast.Options{Reporter: rep, Speculation: overcast.Speculation{Disable: true}})
	ins := inputs(100)
	for i := range ins {
		ins[i].SleepMS = (100 - i) % 7 * 3 // later tasks often finish first
	}
	outs, err := run(t, ex, selftest.Echo, ins)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range retried {
		t.Errorf("task %d attempt %d retried after %v (code %v); no task failed", e.Index, e.Attempt, e.Err, e.Code)
	}
	for i, o := range outs {
		if want := 1 + throttled[i]; o.N != i*7 || o.Attempt != want {
			t.Fatalf("output %d = %+v, want n=%d attempt=%d (%d throttles)", i, o, i*7, want, throttled[i])
		}
	}
}

func jobError(t *testing.T, err error) *overcast.JobError {
	t.Helper()
	var je *overcast.JobError
	if !errors.As(err, &je) {
		t.Fatalf("error = %v (%T), want a *overcast.JobError", err, err)
	}
	return je
}

func testTaskErrors(t *testing.T, h *Harness) {
	ex := executor(t, h, nil)
	ins := inputs(20)
	bad := map[int]bool{3: true, 11: true, 19: true}
	for i := range bad {
		ins[i].Fail = "boom " + string(rune('a'+i))
	}
	outs, err := run(t, ex, selftest.Echo, ins)
	je := jobError(t, err)
	if len(je.Failed) != len(bad) || je.Unfinished != 0 {
		t.Fatalf("failed = %v, unfinished %d; want tasks 3, 11, 19", je.Failed, je.Unfinished)
	}
	for _, f := range je.Failed {
		if !bad[f.Index] || f.Code != backend.TaskFailed || !strings.Contains(f.Err.Error(), ins[f.Index].Fail) {
			t.Errorf("failure %v (code %v): unexpected", f, f.Code)
		}
		if !strings.Contains(err.Error(), "task "+strconv.Itoa(f.Index)) {
			t.Errorf("job error %q does not name task %d", err, f.Index)
		}
	}
	for i, o := range outs {
		if !bad[i] && o.N != i*7 {
			t.Errorf("partial output %d = %+v, want n=%d", i, o, i*7)
		}
	}
}

func testPanic(t *testing.T, h *Harness) {
	ex := executor(t, h, nil)
	ins := inputs(5)
	ins[2].Panic = "kaboom"
	_, err := run(t, ex, selftest.Echo, ins)
	je := jobError(t, err)
	if len(je.Failed) != 1 || je.Failed[0].Index != 2 || !strings.Contains(je.Failed[0].Err.Error(), "kaboom") {
		t.Fatalf("failures = %v, want task 2 with the panic's message", je.Failed)
	}
}

func testNoRetry(t *testing.T, h *Harness) {
	ex := executor(t, h, nil)
	_, err := run(t, ex, selftest.Flaky, inputs(3))
	je := jobError(t, err)
	if len(je.Failed) != 3 {
		t.Fatalf("failures = %v, want all 3 tasks failed once", je.Failed)
	}
	for _, f := range je.Failed {
		if f.Attempts != 1 {
			t.Errorf("task %d had %d attempts; a task's own error must not be retried by default", f.Index, f.Attempts)
		}
	}
}

func testRetryWhenAsked(t *testing.T, h *Harness) {
	ex := executor(t, h, &overcast.Options{RetryTaskErrors: true})
	outs, err := run(t, ex, selftest.Flaky, inputs(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.Attempt != 2 || o.N != i*7 {
			t.Errorf("output %d = %+v, want attempt 2", i, o)
		}
	}
}

func testTimeout(t *testing.T, h *Harness) {
	ex := executor(t, h, &overcast.Options{TaskTimeout: h.Timeout, MaxAttempts: 1})
	ins := inputs(4)
	ins[1].SleepMS = int(h.Timeout.Milliseconds()) * 20
	start := time.Now()
	outs, err := run(t, ex, selftest.Echo, ins)
	je := jobError(t, err)
	if len(je.Failed) != 1 || je.Failed[0].Index != 1 {
		t.Fatalf("failures = %v, want task 1 timed out", je.Failed)
	}
	if el := time.Since(start); el > 10*h.Timeout {
		t.Errorf("job took %v with a %v task timeout", el, h.Timeout)
	}
	if outs[3].N != 21 {
		t.Errorf("output 3 = %+v, want n=21", outs[3])
	}
}

func testCancel(t *testing.T, h *Harness) {
	ex := executor(t, h, nil)
	ins := inputs(50)
	for i := range ins {
		ins[i].SleepMS = 30000
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cancel()
	_, err := f.Wait(context.Background())
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Wait returned %v after cancel", el)
	}
	je := jobError(t, err)
	if !errors.Is(err, context.Canceled) || je.Unfinished+len(je.Failed) != len(ins) {
		t.Fatalf("error = %v; want canceled with all %d tasks unfinished or failed", err, len(ins))
	}
}

func testLarge(t *testing.T, h *Harness) {
	ex := executor(t, h, nil)
	outs, err := run(t, ex, selftest.Echo, inputs(h.Large))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.N != i*7 {
			t.Fatalf("output %d = %+v, want n=%d", i, o, i*7)
		}
	}
}
