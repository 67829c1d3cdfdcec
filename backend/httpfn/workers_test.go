//go:build linux

package httpfn_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
)

// TestConformanceWorkerProcesses runs the conformance suite over three
// overcast worker serve processes that want a token.
func TestConformanceWorkerProcesses(t *testing.T) {
	ps := startWorkers(t, 3, "process-token", "--concurrency", "64")
	t.Setenv("OVERCAST_TOKEN", "process-token")
	eps := strings.Join(urls(ps), ",")
	drivertest.RunConformanceTests(t, drivertest.Harness{
		Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
			return backend.Open(ctx, "http://?concurrency=16&endpoint="+eps)
		},
		Large:   1000,
		Timeout: time.Second,
	})
}

// TestWorkerProcessesRefuseWithoutTheToken runs jobs against a worker
// process without a token and with a wrong one: every task fails with
// permission denied, and the worker runs none (a task that ran would
// have logged its line).
func TestWorkerProcessesRefuseWithoutTheToken(t *testing.T) {
	p := startWorkers(t, 1, "the-token")[0]
	for _, token := range []string{"", "not-the-token"} {
		t.Setenv("OVERCAST_TOKEN", token)
		b := open(t, []string{p.url}, "")
		ins := numbered(3)
		for i := range ins {
			ins[i].Log = "task ran: it should not have"
		}
		_, err := runEcho(executor(b, nil), ins)
		var je *overcast.JobError
		if !asJobError(err, &je) || len(je.Failed) != 3 {
			t.Fatalf("token %q: error %v; want 3 tasks failed", token, err)
		}
		for _, f := range je.Failed {
			if f.Code != backend.PermissionDenied || f.Attempts != 1 || !strings.Contains(f.Err.Error(), "HTTP 401") {
				t.Errorf("token %q: task %d: %v (code %v, %d attempts); want permission denied once", token, f.Index, f.Err, f.Code, f.Attempts)
			}
		}
	}
	if strings.Contains(p.stderr(), "task ran") {
		t.Errorf("the worker ran a task without the token:\n%s", p.stderr())
	}
}

// TestBusyWorkerProcessesThrottle sends more tasks at once than the
// workers run: their 429s, which name the workers' concurrency, are
// retried, the driver keeps to that concurrency on each endpoint from
// then on, and the job completes.
func TestBusyWorkerProcessesThrottle(t *testing.T) {
	ps := startWorkers(t, 2, "", "--concurrency", "2")
	b := open(t, urls(ps), "&concurrency=8")
	ins := numbered(60)
	for i := range ins {
		ins[i].SleepMS = 20
	}
	rep := echo(t, executor(b, &overcast.Options{MaxAttempts: 2}), ins)
	if rep.Throttles == 0 {
		t.Errorf("no throttle with 16 tasks in flight on workers running 4; the test tests nothing")
	}
	// The first round sends 16 where 4 fit; later ones keep to 2 a worker.
	if rep.Throttles > 16 {
		t.Errorf("%d throttles: the driver did not keep to the concurrency the workers named", rep.Throttles)
	}
	t.Logf("%d throttles, %d retries", rep.Throttles, rep.Retries)
}

// TestSIGTERMLosesNoTask stops one of two worker processes with SIGTERM
// while tasks run on both: the stopped worker finishes its tasks and
// exits, the others go to the second worker, and the job completes with
// every answer.
func TestSIGTERMLosesNoTask(t *testing.T) {
	ps := startWorkers(t, 2, "sigterm-token", "--concurrency", "16")
	t.Setenv("OVERCAST_TOKEN", "sigterm-token")
	b := open(t, urls(ps), "&concurrency=8")
	var (
		done    atomic.Int64
		mu      sync.Mutex
		retries = map[string]int{}
	)
	stopped := make(chan struct{})
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		switch {
		case e.Kind == overcast.Finished && done.Add(1) == 16:
			ps[0].cmd.Process.Signal(syscall.SIGTERM)
			close(stopped)
		case e.Kind == overcast.Retried:
			mu.Lock()
			retries[e.Code.String()]++
			mu.Unlock()
		}
	})
	// Sleeps of different lengths keep both workers busy all the time
	// (tasks of one length would start and end in waves, with moments
	// when a worker runs none).
	ins := numbered(80)
	for i := range ins {
		ins[i].SleepMS = 100 + i%7*40
	}
	r := echo(t, executor(b, &overcast.Options{Reporter: rep}), ins)
	<-stopped
	select {
	case <-ps[0].exited:
	case <-time.After(time.Minute):
		t.Fatal("the SIGTERM'd worker did not exit")
	}
	if code := ps[0].cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(ps[0].stderr(), "every task answered") {
		t.Errorf("the SIGTERM'd worker exited %d:\n%s", code, ps[0].stderr())
	}
	if strings.Contains(ps[0].stderr(), "draining: 0 tasks in flight") {
		t.Errorf("the worker had no task in flight when stopped; the test tests nothing:\n%s", ps[0].stderr())
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d retries (%v), %d throttles", r.Retries, retries, r.Throttles)
}
