package httpfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/internal/faasgw"
	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
)

const testToken = "t0ken"

// workerProcess returns a starter of real worker processes, skipping the
// test (failing it under REQUIRE_PEERS=1) when the binary cannot be built
// or has no worker serve.
func workerProcess(t *testing.T) *faasgw.Process {
	t.Helper()
	// The worker takes more tasks at once than the gateway's queue workers
	// send, so that a test's "no retry" cannot meet the worker's own 429
	// (its default is GOMAXPROCS, below the 4 queue workers here).
	return &faasgw.Process{Bin: faasgwtest.WorkerBin(t), Args: []string{"worker", "serve", "--concurrency", "16"}, Token: testToken, Stderr: os.Stderr}
}

// gateway serves an OpenFaaS stand-in with the function "overcast" on
// worker processes; wrap, when set, sees every request first.
func gateway(t *testing.T, opts faasgw.OpenFaaSOptions, wrap func(http.Handler) http.Handler) (*faasgw.OpenFaaS, string) {
	t.Helper()
	opts.Functions = map[string]faasgw.Starter{"overcast": workerProcess(t)}
	g, err := faasgw.NewOpenFaaS(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = g
	if wrap != nil {
		h = wrap(g)
	}
	return g, faasgwtest.Serve(t, h, g)
}

func bearer(r *http.Request) error {
	r.Header.Set("Authorization", "Bearer "+testToken)
	return nil
}

func newAsync(t *testing.T, opts AsyncOptions) *Async {
	t.Helper()
	if opts.Authorize == nil {
		opts.Authorize = bearer
	}
	a, err := NewAsync(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// retries counts the Retried events of a job by error code.
type retries struct {
	mu     sync.Mutex
	byCode map[driver.ErrorCode]int
}

func (r *retries) Report(e overcast.Event) {
	if e.Kind != overcast.Retried {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byCode == nil {
		r.byCode = map[driver.ErrorCode]int{}
	}
	r.byCode[e.Code]++
}

func (r *retries) count(c driver.ErrorCode) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byCode[c]
}

// runAsyncEcho runs n echo tasks on d and checks every answer.
func runAsyncEcho(t *testing.T, d driver.Backend, n int, rep overcast.Reporter) {
	t.Helper()
	ex := overcast.NewExecutorFor(backend.New("http", d), &overcast.Options{Reporter: rep, BackoffBase: 10 * time.Millisecond,
		Speculation: overcast.Speculation{Disable: true}})
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i].N = i * 3
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outs, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
	if err != nil {
		t.Fatalf("job: %v", err)
	}
	for i, o := range outs {
		if o.N != i*3 {
			t.Fatalf("task %d answered %d, want %d", i, o.N, i*3)
		}
	}
}

func TestAsyncJob(t *testing.T) {
	g, url := gateway(t, faasgw.OpenFaaSOptions{QueueWorkers: 4}, nil)
	a := newAsync(t, AsyncOptions{Endpoint: url + "/async-function/overcast"})
	var rep retries
	runAsyncEcho(t, a, 40, &rep)
	for i := 0; i < 1000 && g.Stats().Callbacks < 40; i++ {
		time.Sleep(5 * time.Millisecond) // the gateway counts a callback once it is answered
	}
	s := g.Stats()
	if s.Async != 40 || s.Callbacks != 40 || s.CallbackErrors != 0 || len(rep.byCode) != 0 {
		t.Errorf("gateway stats %+v, retries %v; want 40 async calls and 40 callbacks, no retry", s, rep.byCode)
	}
}

// forger posts, for each async call it sees, callbacks with the call's
// slot and a wrong token, and with another slot, before the gateway
// takes the call; it records their answers.
type forger struct {
	mu    sync.Mutex
	codes [][2]int // per call: wrong token, other slot
}

func (f *forger) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cb := r.Header.Get("X-Callback-Url"); cb != "" {
			slot, _, _ := strings.Cut(cb[strings.LastIndex(cb[:strings.LastIndex(cb, "/")], "/")+1:], "/")
			base := cb[:strings.LastIndex(cb[:strings.LastIndex(cb, "/")], "/")]
			codes := [2]int{f.forge(base+"/"+slot+"/"+randomToken(), r.Header.Get("X-Call-Id")),
				f.forge(base+"/999999/"+randomToken(), "")}
			f.mu.Lock()
			f.codes = append(f.codes, codes)
			f.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// forge posts a wrong answer, claiming success, and returns the answer's
// status.
func (f *forger) forge(url, callID string) int {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"output":{"n":-1,"attempt":9}}`))
	req.Header.Set("X-Function-Status", "200")
	req.Header.Set("X-Call-Id", callID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestAsyncForgedCallback(t *testing.T) {
	f := &forger{}
	_, url := gateway(t, faasgw.OpenFaaSOptions{QueueWorkers: 2}, f.wrap)
	a := newAsync(t, AsyncOptions{Endpoint: url + "/async-function/overcast"})
	runAsyncEcho(t, a, 10, nil) // fails on a forged answer (-1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.codes) != 10 {
		t.Fatalf("forged callbacks for %d calls, want 10", len(f.codes))
	}
	for i, c := range f.codes {
		// The call's slot with a wrong token, then a slot no call waits on.
		if c != [2]int{http.StatusForbidden, http.StatusNotFound} {
			t.Errorf("forged callbacks of call %d answered %v, want 403 and 404", i, c)
		}
	}
	if a.Refused() != 10 {
		t.Errorf("driver refused %d callbacks for their token, want 10", a.Refused())
	}
}

func TestAsyncLostCallback(t *testing.T) {
	var first atomic.Bool
	g, url := gateway(t, faasgw.OpenFaaSOptions{QueueWorkers: 4,
		DropCallback: func(string) bool { return first.CompareAndSwap(false, true) }}, nil)
	a := newAsync(t, AsyncOptions{Endpoint: url + "/async-function/overcast", CallbackTimeout: 2 * time.Second})
	var rep retries
	runAsyncEcho(t, a, 8, &rep)
	if s := g.Stats(); s.Dropped != 1 {
		t.Errorf("gateway stats %+v, want one callback lost", s)
	}
	if n := rep.count(driver.Lost); n < 1 {
		t.Errorf("%d retries after a lost callback, want at least 1 (retries: %v)", n, rep.byCode)
	}
}

// fakeGateway answers every async call with code and header, and takes
// no call.
func fakeGateway(t *testing.T, code int, header http.Header) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		io.WriteString(w, "refused")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/async-function/overcast"
}

func TestAsyncGatewayRefusals(t *testing.T) {
	for _, tc := range []struct {
		code   int
		header http.Header
		want   driver.ErrorCode
		after  time.Duration
	}{
		{http.StatusTooManyRequests, http.Header{"Retry-After": {"3"}}, driver.ResourceExhausted, 3 * time.Second},
		{http.StatusNotFound, nil, driver.NotFound, 0},
		{http.StatusUnauthorized, nil, driver.PermissionDenied, 0},
		{http.StatusBadGateway, nil, driver.Unavailable, 0},
		{http.StatusAccepted, nil, driver.Unknown, 0}, // 202 without an X-Call-Id
	} {
		a := newAsync(t, AsyncOptions{Endpoint: fakeGateway(t, tc.code, tc.header)})
		_, err := a.Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{}`)})
		if got := a.ErrorCode(err); got != tc.want {
			t.Errorf("gateway %d: %v classified %v, want %v", tc.code, err, got, tc.want)
		}
		var te driver.ThrottleError
		if tc.after != 0 && (!errors.As(err, &te) || te.RetryAfter() != tc.after) {
			t.Errorf("gateway %d: %v carries no Retry-After of %v", tc.code, err, tc.after)
		}
	}
}

func TestAsyncUnreachableGateway(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a := newAsync(t, AsyncOptions{Endpoint: url + "/async-function/overcast"})
	_, err := a.Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{}`)})
	if got := a.ErrorCode(err); got != driver.Unreachable {
		t.Errorf("closed gateway: %v classified %v, want unreachable", err, got)
	}
}

func TestIsAsyncEndpoint(t *testing.T) {
	for u, want := range map[string]bool{
		"http://gw:8080/async-function/overcast":      true,
		"https://gw/async-function/overcast/":         true,
		"http://gw:8080/function/overcast":            false,
		"http://gw:8080/async-function/":              false,
		"http://gw:8080/async-function/a/b":           false,
		"ftp://gw/async-function/overcast":            false,
		"http://gw:8080/prefix/async-function/x":      false,
		"http://127.0.0.1:8080/async-function/my-fn1": true,
	} {
		if got := IsAsyncEndpoint(u); got != want {
			t.Errorf("IsAsyncEndpoint(%q) = %v, want %v", u, got, want)
		}
	}
	if _, err := NewAsync(AsyncOptions{Endpoint: "http://gw/function/x"}); err == nil {
		t.Error("NewAsync accepted a synchronous endpoint")
	}
	if _, err := NewAsync(AsyncOptions{Endpoint: "http://gw/async-function/x", CallbackURL: "gw:9000"}); err == nil {
		t.Error("NewAsync accepted a callback URL without a scheme")
	}
}
