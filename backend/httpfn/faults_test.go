package httpfn_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/worker"
)

// events collects a job's events of the given kinds.
type events struct {
	mu    sync.Mutex
	kinds map[overcast.EventKind]bool
	got   []overcast.Event
}

func (e *events) Report(ev overcast.Event) {
	if !e.kinds[ev.Kind] {
		return
	}
	e.mu.Lock()
	e.got = append(e.got, ev)
	e.mu.Unlock()
}

func (e *events) list() []overcast.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]overcast.Event(nil), e.got...)
}

// TestDeadEndpointLeavesRotation runs a job over two live workers and a
// closed port: the job finishes with every answer, warns once that the
// dead endpoint is unreachable, and no attempt failed for it.
func TestDeadEndpointLeavesRotation(t *testing.T) {
	dead := "http://" + closedPort(t)
	a, c := &standIn{}, &standIn{}
	b := open(t, []string{serve(t, a), dead, serve(t, c)}, "&concurrency=4")
	ev := &events{kinds: map[overcast.EventKind]bool{overcast.PlatformUnreachable: true, overcast.Retried: true}}
	rep := echo(t, executor(b, &overcast.Options{Reporter: ev}), numbered(200))
	got := ev.list()
	if len(got) != 1 || got[0].Kind != overcast.PlatformUnreachable || got[0].Endpoint != dead {
		t.Errorf("events %+v; want one: %s unreachable", got, dead)
	}
	if rep.Retries != 0 || a.ran.Load()+c.ran.Load() != 200 || a.ran.Load() == 0 || c.ran.Load() == 0 {
		t.Errorf("%d retries, the workers ran %d and %d tasks; want none retried and 200 run by both", rep.Retries, a.ran.Load(), c.ran.Load())
	}
}

// TestNoEndpointAnswers checks that a job whose only endpoint is closed
// ends with the platform unreachable, not with a retry per task forever.
func TestNoEndpointAnswers(t *testing.T) {
	dead := closedPort(t)
	b := open(t, []string{"http://" + dead}, "")
	_, err := runEcho(executor(b, &overcast.Options{OutageWait: 300 * time.Millisecond}), numbered(3))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("error %v; want the job ended by an unreachable platform", err)
	}
}

// TestResetAfterSendIsRetriedAndCounted has a worker drop the connection
// of the first attempt of some tasks after reading it: those tasks run
// again (tasks are idempotent), the job completes, and each such retry is
// counted in the job's retries, with code lost.
func TestResetAfterSendIsRetriedAndCounted(t *testing.T) {
	var dropped atomic.Int64
	s := &standIn{}
	s.before = func(w http.ResponseWriter, r *http.Request) bool {
		req := peek(t, r)
		if req.Attempt != 1 || req.Index%10 != 3 {
			return false
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		dropped.Add(1)
		conn.Close()
		return true
	}
	b := open(t, []string{serve(t, s)}, "&concurrency=8")
	ev := &events{kinds: map[overcast.EventKind]bool{overcast.Retried: true}}
	ex := executor(b, &overcast.Options{Reporter: ev})
	outs, err := runEcho(ex, numbered(50))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if want := 1 + btoi(i%10 == 3); o.N != i*3 || o.Attempt != want {
			t.Errorf("output %d = %+v, want n %d on attempt %d", i, o, i*3, want)
		}
	}
	retried := ev.list()
	if dropped.Load() != 5 || len(retried) != 5 {
		t.Fatalf("%d dropped, %d retried; want 5 each", dropped.Load(), len(retried))
	}
	for _, e := range retried {
		if e.Code != backend.Lost || !strings.Contains(e.Err.Error(), "broke after the task was sent; trying again, as tasks are idempotent") {
			t.Errorf("retry of task %d: %v (code %v); want lost", e.Index, e.Err, e.Code)
		}
	}
}

// TestThrottlesAreRetried has a worker answer 429, with a Retry-After,
// to the first attempts it gets: the job completes and counts them as
// throttles.
func TestThrottlesAreRetried(t *testing.T) {
	var refused atomic.Int64
	s := &standIn{}
	s.before = func(w http.ResponseWriter, r *http.Request) bool {
		if refused.Add(1) > 6 {
			return false
		}
		w.Header().Set("Retry-After", "0")
		http.Error(w, "busy", http.StatusTooManyRequests)
		return true
	}
	b := open(t, []string{serve(t, s)}, "&concurrency=2")
	rep := echo(t, executor(b, nil), numbered(20))
	if rep.Throttles != 6 || s.ran.Load() != 20 {
		t.Errorf("%d throttles, %d tasks run; want 6 and 20", rep.Throttles, s.ran.Load())
	}
}

// TestBigPayloadsGoThroughStorage runs tasks whose inputs and outputs are
// over the workers' limit, which refuse bigger bodies: they travel
// through the job's storage.
func TestBigPayloadsGoThroughStorage(t *testing.T) {
	const limit = 8 << 10
	s := &standIn{maxBody: limit}
	b := open(t, []string{serve(t, s)}, "&limit=8192")
	ins := numbered(6)
	ins[2].Pad = strings.Repeat("x", 3*limit)
	ins[4].Pad = strings.Repeat("y", limit)
	echo(t, executor(b, &overcast.Options{Storage: "file://" + t.TempDir()}), ins)
	if s.tooBig.Load() != 0 || s.ran.Load() != 6 {
		t.Errorf("%d answers over the limit, %d tasks run; want none over, 6 run", s.tooBig.Load(), s.ran.Load())
	}
}

// peek decodes the envelope of r without consuming it.
func peek(t *testing.T, r *http.Request) *worker.Request {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := worker.DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEndpointComesBack takes a closed port out of rotation, then starts a
// worker there that first answers its health check 503, as a draining
// worker or a gateway without a backend does: the endpoint comes back in
// rotation only once the check answers otherwise, and then takes tasks.
func TestEndpointComesBack(t *testing.T) {
	addr := closedPort(t)
	dead := "http://" + addr
	live := &standIn{}
	b := open(t, []string{serve(t, live), dead}, "&concurrency=2")
	signals := make(chan backend.Signal, 4)
	stop := b.Watch(func(s backend.Signal) { signals <- s })
	defer stop()
	echo(t, executor(b, nil), numbered(10))
	if s := <-signals; s.Endpoint != dead || s.Err == nil {
		t.Fatalf("signal %+v, want %s out of rotation", s, dead)
	}
	var probes atomic.Int64
	back := &standIn{}
	back.before = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/healthz" && probes.Add(1) <= 2 {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: back}
	go srv.Serve(l)
	defer srv.Close()
	select {
	case s := <-signals:
		if s.Endpoint != dead || s.Err != nil || probes.Load() != 3 {
			t.Fatalf("signal %+v after %d probes; want %s back after the third", s, probes.Load(), dead)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not back in rotation after %d probes", dead, probes.Load())
	}
	echo(t, executor(b, nil), numbered(20))
	if back.ran.Load() == 0 {
		t.Errorf("the endpoint back in rotation ran no task")
	}
}
