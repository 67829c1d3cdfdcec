//go:build linux

package lambda_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/lambda"
	"github.com/overcast-sc/overcast/report"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// countingTransport counts the requests sent toward each host, refused
// connections included.
type countingTransport struct {
	mu     sync.Mutex
	byHost map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.byHost[r.URL.Host]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byHost[host]
}

// TestDeadEndpointLeavesRotation runs a pi job over a live emulator and a
// closed port: the job warns once that the dead endpoint is unreachable,
// sends it nothing after the warning but a few probes, finishes with the
// exact answer, and bills one invocation per task, none for the refused
// connections. Once something answers on the port, the endpoint is put
// back in rotation and the job says so.
func TestDeadEndpointLeavesRotation(t *testing.T) {
	live := emulators(t)[0]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	ct := &countingTransport{byHost: map[string]int{}}
	d, err := lambda.Open(context.Background(), &lambda.Options{Function: lambda.EmulatorFunction,
		Endpoints: []string{live, "http://" + dead}, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		warnings []overcast.Event
		atWarn   atomic.Int64
	)
	rep := overcast.ReporterFunc(func(e overcast.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case overcast.PlatformUnreachable, overcast.PlatformReachable:
			warnings = append(warnings, e)
			atWarn.Store(int64(ct.count(dead)))
		}
	})
	b := backend.New("lambda", d)
	t.Cleanup(func() { b.Close() })
	ex := overcast.NewExecutorFor(b, &overcast.Options{Reporter: rep, Speculation: overcast.Speculation{Disable: true}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const samples, tasks, seed = 4_000_000, 40, 3
	got, rep1, err := pi.Run(ctx, ex, samples, tasks, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("job: %v", rep1.Wall())
	want, _, err := pi.Run(ctx, executor(t, "local"), samples, tasks, seed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Inside != want.Inside {
		t.Errorf("lambda: %d inside, local: %d", got.Inside, want.Inside)
	}
	mu.Lock()
	if len(warnings) != 1 || warnings[0].Kind != overcast.PlatformUnreachable || warnings[0].Endpoint != "http://"+dead || overcast.Gist(warnings[0].Err) != "connection refused to "+dead {
		t.Errorf("warnings %+v; want one, about %s", warnings, dead)
	}
	mu.Unlock()
	// After the warning only probes go there, at doubling intervals from
	// 250 ms: a handful while the job runs, not one per task.
	after := ct.count(dead) - int(atWarn.Load())
	if probes := 3 + int(rep1.Wall()/time.Second); after > probes {
		t.Errorf("%d requests to the dead endpoint after the warning in %v, want at most %d", after, rep1.Wall(), probes)
	}
	u := report.MeasureUsage(rep1, 1024)
	if u.Invocations != tasks || u.FailedInvocations != 0 {
		t.Errorf("billed %d invocations (%d retries) for %d tasks; refused connections are not invocations", u.Invocations, u.FailedInvocations, tasks)
	}

	// Something answers on the dead port: the prober puts it back.
	revived := make(chan backend.Signal, 4)
	stop := b.Watch(func(s backend.Signal) { revived <- s })
	defer stop()
	srv := &http.Server{Handler: http.NotFoundHandler()}
	l, err = net.Listen("tcp", dead)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	go srv.Serve(l)
	defer srv.Close()
	t0 := time.Now()
	defer func() { t.Logf("revived after %v", time.Since(t0)) }()
	select {
	case s := <-revived:
		if s.Endpoint != "http://"+dead || s.Err != nil {
			t.Errorf("signal %+v, want %s back", s, dead)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the endpoint was not put back in rotation after it answered")
	}
}
