package httpfn_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/httpfn"
	"github.com/overcast-sc/overcast/internal/faasgw"
	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
	"github.com/overcast-sc/overcast/worker"
)

// workerStarter returns a starter of worker processes wanting token,
// skipping the test (failing it under REQUIRE_PEERS=1) without the binary.
func workerStarter(t *testing.T, token string, flags ...string) *faasgw.Process {
	t.Helper()
	return &faasgw.Process{Bin: faasgwtest.WorkerBin(t), Token: token, Args: append([]string{"worker", "serve"}, flags...), Stderr: os.Stderr}
}

// exchange is one request a platform stand-in answered.
type exchange struct {
	index      int
	status     int
	retryAfter string
	arrived    time.Time
	answered   time.Time // when the answer was written, before the client read it
}

// exchangeLog records the exchanges of the handler it wraps.
type exchangeLog struct {
	next http.Handler
	mu   sync.Mutex
	log  []exchange
}

func (rec *exchangeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchange{index: -1, arrived: time.Now()}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if req, err := worker.DecodeRequest(body); err == nil {
		x.index = req.Index
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.next.ServeHTTP(sw, r)
	x.status, x.retryAfter, x.answered = sw.status, w.Header().Get("Retry-After"), time.Now()
	rec.mu.Lock()
	rec.log = append(rec.log, x)
	rec.mu.Unlock()
}

// TestKnativeScalingFromZero runs a job through the Knative stand-in
// answering 503 with Retry-After while it scales from zero: the job
// completes with every answer, each 503 is one throttle retried, and no
// task came back before the time its 503 asked it to wait.
func TestKnativeScalingFromZero(t *testing.T) {
	const token = "kn-t0ken"
	t.Setenv("OVERCAST_TOKEN", token)
	k, err := faasgw.NewKnative(faasgw.KnativeOptions{Starter: workerStarter(t, token, "--concurrency", "8"),
		Mode: faasgw.Reject, RetryAfter: time.Second, ColdWindow: 1500 * time.Millisecond, ContainerConcurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	rec := &exchangeLog{next: k}
	base := faasgwtest.Serve(t, rec, k)
	const n = 12
	rep := echo(t, executor(open(t, []string{base}, "&auth=bearer&concurrency=4"), nil), numbered(n))
	s := k.Stats()
	if s.Scaling == 0 || s.Started != 1 || s.Proxied != n {
		t.Fatalf("stand-in %+v; want 503s while scaling, one instance, %d tasks proxied", s, n)
	}
	if rep.Throttles != s.Scaling {
		t.Errorf("job counted %d throttles, the revision answered %d 503s", rep.Throttles, s.Scaling)
	}
	checkRetryAfter(t, rec)
}

// TestKnativeBufferingFromZero runs a job through the Knative stand-in
// whose activator holds requests while it scales from zero, as Knative's
// does: the job completes with no throttle and no retry.
func TestKnativeBufferingFromZero(t *testing.T) {
	const token = "kn-buf-t0ken"
	t.Setenv("OVERCAST_TOKEN", token)
	k, err := faasgw.NewKnative(faasgw.KnativeOptions{Starter: workerStarter(t, token, "--concurrency", "4"),
		Mode: faasgw.Buffer, ColdWindow: 300 * time.Millisecond, ContainerConcurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	base := faasgwtest.Serve(t, k, k)
	rep := echo(t, executor(open(t, []string{base}, "&auth=bearer&concurrency=16"), nil), numbered(40))
	if s := k.Stats(); s.Scaling != 0 || s.Started != 1 || s.Proxied != 40 || rep.Retries != 0 {
		t.Errorf("stand-in %+v, %d retries; want 40 tasks held, then proxied to one instance, none retried", s, rep.Retries)
	}
}

// checkRetryAfter checks that no task was sent again before the wait
// the answer to its previous attempt asked for.
func checkRetryAfter(t *testing.T, rec *exchangeLog) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	last := map[int]exchange{}
	for _, x := range rec.log { // in the order the answers were written
		if prev, ok := last[x.index]; ok && prev.status == http.StatusServiceUnavailable {
			if prev.retryAfter != "1" {
				t.Fatalf("503 with Retry-After %q, want 1", prev.retryAfter)
			}
			if x.arrived.Before(prev.answered.Add(time.Second)) {
				t.Errorf("task %d came back %v after a 503 asking for 1 s", x.index, x.arrived.Sub(prev.answered))
			}
		}
		last[x.index] = x
	}
}

// TestOpenFaaSSync runs a job through the OpenFaaS stand-in's
// synchronous route, /function/NAME, on a worker process.
func TestOpenFaaSSync(t *testing.T) {
	const token = "of-t0ken"
	t.Setenv("OVERCAST_TOKEN", token)
	g, err := faasgw.NewOpenFaaS(faasgw.OpenFaaSOptions{Functions: map[string]faasgw.Starter{"overcast": workerStarter(t, token, "--concurrency", "16")}})
	if err != nil {
		t.Fatal(err)
	}
	base := faasgwtest.Serve(t, g, g)
	// Fewer calls in flight than the worker takes: none is throttled.
	rep := echo(t, executor(open(t, []string{base + "/function/overcast"}, "&auth=bearer&concurrency=8"), nil), numbered(30))
	if s := g.Stats(); s.Sync != 30 || rep.Retries != 0 {
		t.Errorf("gateway %+v, %d retries; want 30 sync calls, none retried", s, rep.Retries)
	}
}

// TestOpenFaaSAsyncByURL opens the asynchronous mode as a user does, by
// an --endpoint naming the function's /async-function/ route, and runs a
// job through the OpenFaaS stand-in on a worker process.
func TestOpenFaaSAsyncByURL(t *testing.T) {
	const token = "of-async-t0ken"
	t.Setenv("OVERCAST_TOKEN", token)
	g, err := faasgw.NewOpenFaaS(faasgw.OpenFaaSOptions{QueueWorkers: 4,
		Functions: map[string]faasgw.Starter{"overcast": workerStarter(t, token, "--concurrency", "8")}})
	if err != nil {
		t.Fatal(err)
	}
	base := faasgwtest.Serve(t, g, g)
	b := open(t, []string{base + "/async-function/overcast"}, "&auth=bearer&callback-addr=127.0.0.1:0&callback-timeout=1m")
	a, ok := b.Driver().(*httpfn.Async)
	if !ok || !strings.HasPrefix(a.CallbackURL(), "http://127.0.0.1:") {
		t.Fatalf("driver %T, want *httpfn.Async listening on 127.0.0.1", b.Driver())
	}
	rep := echo(t, executor(b, nil), numbered(30))
	for i := 0; i < 1000 && g.Stats().Callbacks < 30; i++ {
		time.Sleep(5 * time.Millisecond) // the gateway counts a callback once it is answered
	}
	if s := g.Stats(); s.Async != 30 || s.Callbacks != 30 || rep.Retries != 0 {
		t.Errorf("gateway %+v, %d retries; want 30 async calls and callbacks, none retried", s, rep.Retries)
	}
}

func TestAsyncSettings(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"http://?endpoint=http://gw/async-function/f,http://w:8080", "must be the only endpoint"},
		{"http://?endpoint=http://gw/async-function/f&callback-timeout=0s", "callback-timeout must be positive"},
		{"http://?endpoint=http://gw/async-function/f&callback-url=gw:9", "callback URL"},
		{"http://?endpoint=http://gw/async-function/f&callback-addr=256.0.0.1:0", "callback listener"},
	} {
		if _, err := backend.Open(context.Background(), tt.url+"&auth=none"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.url, err, tt.want)
		}
	}
}
