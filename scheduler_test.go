package overcast_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

func init() {
	overcast.Register("test/double", func(ctx context.Context, n int) (int, error) {
		if n < 0 {
			return 0, errors.New("negative input")
		}
		return 2 * n, nil
	})
	overcast.Register("test/sum", func(ctx context.Context, ns []int) (int, error) {
		s := 0
		for _, n := range ns {
			s += n
		}
		return s, nil
	})
}

// flakyDriver runs tasks in process but fails chosen attempts with a code.
type flakyDriver struct {
	fail  func(inv *driver.Invocation) driver.ErrorCode
	calls atomic.Int64
}

type codeErr struct{ code driver.ErrorCode }

func (e codeErr) Error() string { return "injected " + e.code.String() }

func (d *flakyDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	d.calls.Add(1)
	if c := d.fail(inv); c != driver.OK {
		return nil, codeErr{c}
	}
	return &driver.Activation{ID: "a", Payload: worker.Handle(ctx, inv.Payload)}, nil
}
func (d *flakyDriver) Capacity() int { return 4 }
func (d *flakyDriver) ErrorCode(err error) driver.ErrorCode {
	var ce codeErr
	if errors.As(err, &ce) {
		return ce.code
	}
	return driver.Unknown
}
func (d *flakyDriver) Close() error { return nil }

func newFlaky(t *testing.T, fail func(inv *driver.Invocation) driver.ErrorCode, opts *overcast.Options) (*overcast.Executor, *flakyDriver) {
	d := &flakyDriver{fail: fail}
	if opts == nil {
		opts = &overcast.Options{}
	}
	opts.BackoffBase, opts.BackoffMax = time.Millisecond, 5*time.Millisecond
	return overcast.NewExecutorFor(backend.New("flaky", d), opts), d
}

func ints(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestRetryableErrorsAreRetried(t *testing.T) {
	for _, code := range []driver.ErrorCode{driver.ResourceExhausted, driver.Unavailable, driver.Lost} {
		t.Run(code.String(), func(t *testing.T) {
			ex, d := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
				if inv.Attempt < 3 {
					return code
				}
				return driver.OK
			}, nil)
			f := overcast.Map[int, int](context.Background(), ex, "test/double", ints(10))
			outs, err := f.Wait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				if o != 2*i {
					t.Fatalf("out[%d] = %d", i, o)
				}
			}
			if got := d.calls.Load(); got != 30 {
				t.Errorf("%d invocations, want 30", got)
			}
			if rep := f.Report(); rep.Retries != 20 {
				t.Errorf("report counts %d retries, want 20", rep.Retries)
			}
		})
	}
}

func TestNonRetryableErrorsFailAtOnce(t *testing.T) {
	ex, d := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
		if inv.Index == 2 {
			return driver.PermissionDenied
		}
		return driver.OK
	}, nil)
	outs, err := overcast.Map[int, int](context.Background(), ex, "test/double", ints(5)).Wait(context.Background())
	var je *overcast.JobError
	if !errors.As(err, &je) || len(je.Failed) != 1 || je.Failed[0].Index != 2 || je.Failed[0].Attempts != 1 || je.Failed[0].Code != driver.PermissionDenied {
		t.Fatalf("error = %v", err)
	}
	if outs[4] != 8 || d.calls.Load() != 5 {
		t.Fatalf("outs = %v after %d calls", outs, d.calls.Load())
	}
}

func TestAttemptCapButThrottlingDoesNotCount(t *testing.T) {
	ex, _ := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
		switch {
		case inv.Index == 0 && inv.Attempt <= 8:
			return driver.ResourceExhausted // throttled 8 times, then fine
		case inv.Index == 1:
			return driver.Unavailable // always failing
		}
		return driver.OK
	}, &overcast.Options{MaxAttempts: 3})
	f := overcast.Map[int, int](context.Background(), ex, "test/double", ints(3))
	_, err := f.Wait(context.Background())
	var je *overcast.JobError
	if !errors.As(err, &je) || len(je.Failed) != 1 || je.Failed[0].Index != 1 || je.Failed[0].Attempts != 3 {
		t.Fatalf("error = %v; want only task 1 failed after 3 attempts", err)
	}
	rec := f.Report().Records.At(0)
	// Attempts counts what the cap counts: refusals are Throttled.
	if rec.State != overcast.Done || rec.Throttled != 8 || rec.Attempts != 1 {
		t.Fatalf("task 0 record = %+v; want done on 1 attempt after 8 throttles", rec)
	}
	if f.Report().Throttles != 8 {
		t.Fatalf("report counts %d throttles", f.Report().Throttles)
	}
}

func TestJobErrorNamesEveryFailedTask(t *testing.T) {
	ex, _ := newFlaky(t, func(*driver.Invocation) driver.ErrorCode { return driver.OK }, nil)
	in := ints(30)
	for _, i := range []int{4, 17, 29} {
		in[i] = -1
	}
	outs, err := overcast.Map[int, int](context.Background(), ex, "test/double", in).Wait(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"3 of 30 test/double tasks failed", "task 4 (1 attempt): negative input", "task 17", "task 29"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if outs[5] != 10 {
		t.Errorf("partial outputs lost: %v", outs)
	}
}

func TestEventsReachReporter(t *testing.T) {
	var mu sync.Mutex
	count := map[overcast.EventKind]int{}
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		mu.Lock()
		count[e.Kind]++
		mu.Unlock()
	})
	ex, _ := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
		if inv.Index == 1 && inv.Attempt == 1 {
			return driver.Unavailable
		}
		return driver.OK
	}, &overcast.Options{Reporter: rep})
	in := ints(6)
	in[5] = -1
	_, _ = overcast.Map[int, int](context.Background(), ex, "test/double", in).Wait(context.Background())
	want := map[overcast.EventKind]int{overcast.JobStarted: 1, overcast.Queued: 6, overcast.Started: 7,
		overcast.Finished: 5, overcast.Retried: 1, overcast.Failed: 1, overcast.JobFinished: 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %v events, want %d", count[k], k, n)
		}
	}
}

func TestUnknownTaskListsKnownOnes(t *testing.T) {
	ex, _ := newFlaky(t, func(*driver.Invocation) driver.ErrorCode { return driver.OK }, nil)
	_, err := overcast.Map[int, int](context.Background(), ex, "test/nope", ints(1)).Wait(context.Background())
	if err == nil || !strings.Contains(err.Error(), `unknown task "test/nope"`) || !strings.Contains(err.Error(), "test/double") {
		t.Fatalf("error = %v", err)
	}
}

func TestDuplicateRegistrationPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	overcast.Register("test/double", func(ctx context.Context, n int) (int, error) { return n, nil })
}

func TestMapReduce(t *testing.T) {
	ex, _ := newFlaky(t, func(*driver.Invocation) driver.ErrorCode { return driver.OK }, nil)
	ctx := context.Background()
	sum := func(ctx context.Context, xs []int) (int, error) {
		s := 0
		for _, x := range xs {
			s += x
		}
		return s, nil
	}
	got, err := overcast.MapReduce(ctx, ex, "test/double", ints(100), sum)
	if err != nil || got != 9900 {
		t.Fatalf("MapReduce = %d, %v; want 9900", got, err)
	}
	for _, fanIn := range []int{2, 3, 10, 1000} {
		got, err := overcast.MapReduceTree[int, int](ctx, ex, "test/double", "test/sum", ints(100), fanIn)
		if err != nil || got != 9900 {
			t.Fatalf("MapReduceTree(fanIn %d) = %d, %v; want 9900", fanIn, got, err)
		}
	}
	if _, err := overcast.MapReduceTree[int, int](ctx, ex, "test/double", "test/sum", ints(3), 1); err == nil {
		t.Fatal("fanIn 1 accepted")
	}
}

func TestEmptyMap(t *testing.T) {
	ex, _ := newFlaky(t, func(*driver.Invocation) driver.ErrorCode { return driver.OK }, nil)
	outs, err := overcast.Map[int, int](context.Background(), ex, "test/double", nil).Wait(context.Background())
	if err != nil || len(outs) != 0 {
		t.Fatalf("Map of nothing = %v, %v", outs, err)
	}
}

func TestCancelBeforeStartLeavesTasksUnfinished(t *testing.T) {
	ex, d := newFlaky(t, func(*driver.Invocation) driver.ErrorCode { return driver.OK }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := overcast.Map[int, int](ctx, ex, "test/double", ints(100)).Wait(context.Background())
	var je *overcast.JobError
	if !errors.As(err, &je) || je.Unfinished != 100 || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	if d.calls.Load() != 0 {
		t.Fatalf("%d invocations after cancel", d.calls.Load())
	}
}
