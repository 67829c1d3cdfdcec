package faasgw

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
)

// echo is a function instance that answers the path and body it got, and
// counts the requests it runs at once; while gate is not nil, requests
// wait for it to close.
type echo struct {
	gate           chan struct{}
	running, most  atomic.Int64
	entered        atomic.Int64
	mu             sync.Mutex
	paths          []string
	authorizations []string
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		return
	}
	n := e.running.Add(1)
	defer e.running.Add(-1)
	for {
		m := e.most.Load()
		if n <= m || e.most.CompareAndSwap(m, n) {
			break
		}
	}
	e.entered.Add(1)
	e.mu.Lock()
	e.paths = append(e.paths, r.URL.Path)
	e.authorizations = append(e.authorizations, r.Header.Get("Authorization"))
	e.mu.Unlock()
	if e.gate != nil {
		select {
		case <-e.gate:
		case <-r.Context().Done():
			return
		}
	}
	b, _ := io.ReadAll(r.Body)
	io.WriteString(w, r.URL.Path+":"+string(b))
}

func newKnative(t *testing.T, opts KnativeOptions) (*Knative, string) {
	t.Helper()
	k, err := NewKnative(opts)
	if err != nil {
		t.Fatal(err)
	}
	return k, faasgwtest.Serve(t, k, k)
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// eventually polls cond every 5 ms, at most 2000 times.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func TestKnativeRejectWhileScaling(t *testing.T) {
	fn := &echo{}
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, Mode: Reject, RetryAfter: 1500 * time.Millisecond})
	resp, _ := post(t, url+"/invoke", "x")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("first request at zero: %s, Retry-After %q; want 503 with Retry-After 2", resp.Status, resp.Header.Get("Retry-After"))
	}
	eventually(t, "an instance started", func() bool { return k.Stats().Started == 1 })
	resp, body := post(t, url+"/invoke", "x")
	if resp.StatusCode != http.StatusOK || body != "/invoke:x" {
		t.Fatalf("after scaling: %s %q, want 200 \"/invoke:x\"", resp.Status, body)
	}
	if s := k.Stats(); s.Scaling != 1 || s.Proxied != 1 || s.Requests != 2 {
		t.Errorf("stats %+v, want 1 refused while scaling and 1 proxied of 2", s)
	}
}

func TestKnativeBuffersWhileScaling(t *testing.T) {
	fn := &echo{}
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, ColdWindow: 50 * time.Millisecond})
	resp, body := post(t, url+"/invoke", "y")
	if resp.StatusCode != http.StatusOK || body != "/invoke:y" {
		t.Fatalf("held request: %s %q, want 200 \"/invoke:y\"", resp.Status, body)
	}
	if s := k.Stats(); s.Scaling != 0 || s.Started != 1 || s.Proxied != 1 {
		t.Errorf("stats %+v, want the request held, one instance started", s)
	}
}

// stuck is a starter whose instances never become ready until release
// closes, and then fail.
type stuck struct{ release chan struct{} }

func (s stuck) Start(ctx context.Context) (*Instance, error) {
	<-s.release
	return nil, errors.New("image pull failed")
}

func TestKnativeActivationTimeout(t *testing.T) {
	s := stuck{make(chan struct{})}
	k, url := newKnative(t, KnativeOptions{Starter: s, ActivationTimeout: 30 * time.Millisecond})
	t.Cleanup(func() { close(s.release) }) // runs before the Knative's cleanup
	resp, body := post(t, url+"/invoke", "z")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "activator") {
		t.Fatalf("held past the activation timeout: %s %q, want 503 from the activator", resp.Status, body)
	}
	if s := k.Stats(); s.ActivationTimeouts != 1 || s.Proxied != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestKnativeStartFailure(t *testing.T) {
	s := stuck{make(chan struct{})}
	close(s.release)
	k, url := newKnative(t, KnativeOptions{Starter: s})
	resp, body := post(t, url+"/invoke", "z")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "image pull failed") {
		t.Fatalf("failed start: %s %q, want 503 naming the failure", resp.Status, body)
	}
	if s := k.Stats(); s.StartErrors != 1 {
		t.Errorf("stats %+v, want one failed start", s)
	}
}

func TestKnativeContainerConcurrency(t *testing.T) {
	fn := &echo{gate: make(chan struct{})}
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, ContainerConcurrency: 1})
	const held = 11 // one running, ten queued: the queue-proxy's depth is 10 x containerConcurrency
	var wg sync.WaitGroup
	codes := make(chan int, held)
	for range held {
		wg.Go(func() {
			resp, err := http.Post(url+"/invoke", "text/plain", strings.NewReader("q"))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	eventually(t, "11 requests held by the queue-proxy", func() bool { return k.InFlight() == held })
	resp, body := post(t, url+"/invoke", "overflow")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "queue full") {
		t.Errorf("request over the queue: %s %q, want 503 queue full", resp.Status, body)
	}
	close(fn.gate)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("held request answered %d", c)
		}
	}
	if m := fn.most.Load(); m != 1 {
		t.Errorf("instance ran %d requests at once, containerConcurrency is 1", m)
	}
	if s := k.Stats(); s.QueueFull != 1 || s.Proxied != held {
		t.Errorf("stats %+v", s)
	}
}

func TestKnativeRequestTimeout(t *testing.T) {
	fn := &echo{gate: make(chan struct{})}
	defer close(fn.gate)
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, Timeout: 50 * time.Millisecond})
	resp, _ := post(t, url+"/invoke", "slow")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("request past the timeout: %s, want 504", resp.Status)
	}
	if s := k.Stats(); s.Timeouts != 1 {
		t.Errorf("stats %+v, want one timeout", s)
	}
}

func TestKnativeScalesOut(t *testing.T) {
	fn := &echo{gate: make(chan struct{})}
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, ContainerConcurrency: 1, MaxScale: 2})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			resp, err := http.Post(url+"/invoke", "text/plain", strings.NewReader("s"))
			if err == nil {
				resp.Body.Close()
			}
		})
		eventually(t, "a request held", func() bool { return fn.entered.Load() >= 1 })
	}
	eventually(t, "a second instance", func() bool { return k.Stats().Started == 2 })
	eventually(t, "both requests running", func() bool { return fn.running.Load() == 2 })
	close(fn.gate)
	wg.Wait()
}

func TestKnativeScalesToZero(t *testing.T) {
	fn := &echo{}
	k, url := newKnative(t, KnativeOptions{Starter: Handler{fn}, ScaleToZeroAfter: 40 * time.Millisecond})
	for i := range 2 {
		if resp, body := post(t, url+"/invoke", "c"); body != "/invoke:c" {
			t.Fatalf("request %d: %s %q", i, resp.Status, body)
		}
		eventually(t, "scaled to zero", func() bool { return k.Stats().Stopped == int64(i+1) })
	}
	if s := k.Stats(); s.Started != 2 || s.Proxied != 2 {
		t.Errorf("stats %+v, want a start from zero per request", s)
	}
}

func TestKnativeOptions(t *testing.T) {
	for _, o := range []KnativeOptions{
		{},
		{Starter: Handler{}, Timeout: MaxRevisionTimeout + time.Second},
		{Starter: Handler{}, ContainerConcurrency: -1},
	} {
		if _, err := NewKnative(o); err == nil {
			t.Errorf("NewKnative(%+v) accepted", o)
		}
	}
}
