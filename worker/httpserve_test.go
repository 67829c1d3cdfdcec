package worker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blockTask is "wtest/block": it counts its runs, says it started, then
// waits for release or its context.
var blockTask struct {
	runs    atomic.Int64
	started chan struct{}
	release chan struct{}
}

func init() {
	blockTask.started = make(chan struct{}, 16)
	Register("wtest/count", func(ctx context.Context, in []byte) ([]byte, error) {
		blockTask.runs.Add(1)
		return in, nil
	})
	Register("wtest/block", func(ctx context.Context, in []byte) ([]byte, error) {
		blockTask.started <- struct{}{}
		select {
		case <-blockTask.release:
			return in, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

// httpWorker is an HTTPServer serving on a loopback port.
type httpWorker struct {
	url    string
	stop   context.CancelFunc
	served chan error
}

func startHTTP(t testing.TB, opts HTTPOptions) *httpWorker {
	t.Helper()
	s, err := NewHTTPServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	w := &httpWorker{url: "http://" + ln.Addr().String(), stop: stop, served: make(chan error, 1)}
	go func() { w.served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		<-w.served
		http.DefaultClient.CloseIdleConnections()
	})
	return w
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type answer struct {
	code   int
	header http.Header
	body   string
	err    error
}

func (w *httpWorker) do(method, path, body string, header ...string) answer {
	req, err := http.NewRequest(method, w.url+path, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b), err}
}

func (w *httpWorker) invoke(t *testing.T, body string, header ...string) answer {
	t.Helper()
	a := w.do("POST", "/invoke", body, header...)
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a
}

var auth = []string{"Authorization", "Bearer tok"}

func TestHTTPServeRunsTasks(t *testing.T) {
	w := startHTTP(t, HTTPOptions{Token: "tok"})
	for _, path := range []string{"/invoke", "/api/invoke"} {
		a := w.do("POST", path, `{"task":"wtest/echo","index":0,"input":{"x":1}}`, auth...)
		if a.err != nil || a.code != 200 || a.header.Get("Content-Type") != "application/json" {
			t.Fatalf("POST %s: %+v", path, a)
		}
		resp, err := DecodeResponse([]byte(a.body))
		if err != nil || string(resp.Output) != `{"x":1}` {
			t.Fatalf("POST %s: answer %s, %v", path, a.body, err)
		}
	}
	a := w.invoke(t, `{"task":"wtest/fail","index":0,"input":null}`, auth...)
	if resp, err := DecodeResponse([]byte(a.body)); a.code != 200 || err != nil || resp.Error == nil || resp.Error.Message != "no luck" {
		t.Fatalf("failing task: %+v", a)
	}
	a = w.invoke(t, `not json`, auth...)
	if resp, err := DecodeResponse([]byte(a.body)); a.code != 200 || err != nil || resp.Error == nil || resp.Error.Kind != "input" {
		t.Fatalf("bad envelope: %+v", a)
	}
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: h2c}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest("POST", w.url+"/invoke", strings.NewReader(`{"task":"wtest/echo","index":0,"input":5}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(auth[0], auth[1])
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTP/2 without TLS: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if r, derr := DecodeResponse(b); err != nil || derr != nil || resp.ProtoMajor != 2 || string(r.Output) != "5" {
		t.Fatalf("HTTP/2 without TLS: %s %s, %v %v", resp.Proto, b, err, derr)
	}
	if a := w.do("GET", "/healthz", ""); a.err != nil || a.code != 200 {
		t.Fatalf("GET /healthz: %+v", a)
	}
	if a := w.do("GET", "/invoke", "", auth...); a.err != nil || a.code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /invoke: %+v", a)
	}
}

func TestHTTPServeRefusesWithoutToken(t *testing.T) {
	var logs syncBuffer
	w := startHTTP(t, HTTPOptions{Token: "tok", Logs: &logs})
	before := blockTask.runs.Load()
	for _, h := range [][]string{
		nil, {"Authorization", "Bearer"}, {"Authorization", "Bearer "}, {"Authorization", "Bearer to"},
		{"Authorization", "Bearer tokk"}, {"Authorization", "Token tok"}, {"X-Overcast-Token", "TOK"},
	} {
		if a := w.invoke(t, `{"task":"wtest/count","index":0,"input":1}`, h...); a.code != 401 || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("headers %q: %d %q, want 401 with WWW-Authenticate", h, a.code, a.body)
		}
	}
	if n := blockTask.runs.Load() - before; n != 0 {
		t.Fatalf("%d refused requests ran their task", n)
	}
	if got := logs.String(); strings.Count(got, "refused a task request") != 1 || !strings.Contains(got, "(1 so far, the last from 127.0.0.1:") {
		t.Fatalf("logs %q, want the first refusal only", got)
	}
	for _, h := range [][]string{auth, {"Authorization", "BEARER tok"}, {"X-Overcast-Token", "tok"}} {
		if a := w.invoke(t, `{"task":"wtest/count","index":0,"input":1}`, h...); a.code != 200 {
			t.Errorf("headers %q: %d %q, want 200", h, a.code, a.body)
		}
	}
	if n := blockTask.runs.Load() - before; n != 3 {
		t.Fatalf("%d authorized requests ran, want 3", n)
	}
}

func TestHTTPServeNeedsTokenOrInsecure(t *testing.T) {
	if _, err := NewHTTPServer(HTTPOptions{}); !errors.Is(err, ErrNoToken) {
		t.Fatalf("no token: %v, want ErrNoToken", err)
	}
	w := startHTTP(t, HTTPOptions{Insecure: true})
	if a := w.invoke(t, `{"task":"wtest/echo","index":0,"input":2}`); a.code != 200 {
		t.Fatalf("insecure server: %+v", a)
	}
}

func TestHTTPServeBoundsBody(t *testing.T) {
	w := startHTTP(t, HTTPOptions{Token: "tok", MaxBody: 64})
	before := blockTask.runs.Load()
	body := `{"task":"wtest/count","index":0,"input":"` + strings.Repeat("x", 64) + `"}`
	if a := w.invoke(t, body, auth...); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body of %d bytes over 64: %d %q", len(body), a.code, a.body)
	}
	// Without a Content-Length, the bound holds while reading.
	req, err := http.NewRequest("POST", w.url+"/invoke", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(auth[0], auth[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength != 0 {
		t.Fatalf("chunked body over the bound: %d (content length %d)", resp.StatusCode, req.ContentLength)
	}
	if n := blockTask.runs.Load() - before; n != 0 {
		t.Fatalf("%d requests over the bound ran", n)
	}
	if a := w.invoke(t, `{"task":"wtest/count","index":0,"input":1}`, auth...); a.code != 200 {
		t.Fatalf("body under the bound: %+v", a)
	}
}

// blocked starts n wtest/block tasks and waits until all run; their
// answers arrive on the returned channel.
func blocked(t *testing.T, w *httpWorker, n int) chan answer {
	t.Helper()
	out := make(chan answer, n)
	for range n {
		go func() { out <- w.do("POST", "/invoke", `{"task":"wtest/block","index":0,"input":7}`, auth...) }()
	}
	for range n {
		<-blockTask.started
	}
	return out
}

func TestHTTPServeLimitsConcurrency(t *testing.T) {
	blockTask.release = make(chan struct{})
	w := startHTTP(t, HTTPOptions{Token: "tok", Concurrency: 2})
	answers := blocked(t, w, 2)
	a := w.invoke(t, `{"task":"wtest/echo","index":0,"input":3}`, auth...)
	if a.code != http.StatusTooManyRequests || a.header.Get("Retry-After") != "1" || a.header.Get(ConcurrencyHeader) != "2" {
		t.Fatalf("third task over a limit of 2: %d %q, Retry-After %q, %s %q", a.code, a.body, a.header.Get("Retry-After"),
			ConcurrencyHeader, a.header.Get(ConcurrencyHeader))
	}
	close(blockTask.release)
	for range 2 {
		if a := <-answers; a.err != nil || a.code != 200 {
			t.Fatalf("blocked task: %+v", a)
		}
	}
	if a := w.invoke(t, `{"task":"wtest/echo","index":0,"input":3}`, auth...); a.code != 200 {
		t.Fatalf("task once the slots are free: %+v", a)
	}
}

func TestHTTPServeDrains(t *testing.T) {
	blockTask.release = make(chan struct{})
	w := startHTTP(t, HTTPOptions{Token: "tok", Concurrency: 4, Grace: time.Hour})
	answers := blocked(t, w, 2)
	w.stop()
	// Draining starts at once; until the tasks end, the listener stays
	// open so that new tasks hear 503 rather than a refused connection.
	var a answer
	for range 1000 {
		if a = w.do("GET", "/healthz", ""); a.code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("GET /healthz while draining: %+v", a)
	}
	if a := w.invoke(t, `{"task":"wtest/echo","index":0,"input":3}`, auth...); a.code != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Fatalf("task while draining: %d %q", a.code, a.body)
	}
	close(blockTask.release)
	for range 2 {
		if a := <-answers; a.err != nil || a.code != 200 {
			t.Fatalf("in-flight task: %+v", a)
		}
	}
	if err := <-w.served; err != nil {
		t.Fatalf("Serve: %v, want nil after draining", err)
	}
	w.served <- nil // for the cleanup
}

func TestHTTPServeCutsTasksAfterGrace(t *testing.T) {
	blockTask.release = make(chan struct{}) // never closed
	w := startHTTP(t, HTTPOptions{Token: "tok", Grace: 10 * time.Millisecond})
	answers := blocked(t, w, 1)
	w.stop()
	a := <-answers
	resp, err := DecodeResponse([]byte(a.body))
	if a.err != nil || a.code != 200 || err != nil || resp.Error == nil || !strings.Contains(resp.Error.Message, "canceled") {
		t.Fatalf("task cut at the end of the grace period: %+v", a)
	}
	if err := <-w.served; err == nil || !strings.Contains(err.Error(), "1 tasks cut short") {
		t.Fatalf("Serve: %v, want the tasks cut short", err)
	}
	w.served <- nil
}

func TestHTTPServeTaskTimeout(t *testing.T) {
	blockTask.release = make(chan struct{}) // never closed
	w := startHTTP(t, HTTPOptions{Token: "tok", TaskTimeout: 10 * time.Millisecond})
	a := <-blocked(t, w, 1)
	resp, err := DecodeResponse([]byte(a.body))
	if a.err != nil || a.code != 200 || err != nil || resp.Error == nil || !strings.Contains(resp.Error.Message, "deadline exceeded") {
		t.Fatalf("task over its timeout: %+v", a)
	}
}

func TestHTTPDetect(t *testing.T) {
	for _, c := range []struct {
		args, env []string
		want      bool
		port      string
	}{
		{nil, []string{"PORT=8080"}, true, "8080"},
		{nil, []string{"PORT=8080", "FUNCTIONS_CUSTOMHANDLER_PORT=3000"}, true, "3000"},
		{nil, []string{"FUNCTIONS_CUSTOMHANDLER_PORT=3000"}, true, "3000"},
		{nil, []string{"PORT="}, false, ""},
		{nil, nil, false, ""},
		{[]string{"run"}, []string{"PORT=8080"}, false, "8080"},
		{nil, []string{"PORT=8080", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, false, "8080"},
		{nil, []string{"PORT=8080", "__OW_ACTION_NAME=/ns/a"}, false, "8080"},
	} {
		if got := HTTPDetect(c.args, c.env); got != c.want {
			t.Errorf("HTTPDetect(%q, %q) = %v, want %v", c.args, c.env, got, c.want)
		}
		if got := HTTPPort(c.env); got != c.port {
			t.Errorf("HTTPPort(%q) = %q, want %q", c.env, got, c.port)
		}
	}
}

// BenchmarkHTTPServe measures what serving a task over HTTP costs: the
// echo task through Handle alone, then through POST /invoke on loopback
// with keep-alive, from GOMAXPROCS clients at once.
func BenchmarkHTTPServe(b *testing.B) {
	env := []byte(`{"task":"wtest/echo","index":0,"input":{"n":12345,"pad":"` + strings.Repeat("x", 200) + `"}}`)
	b.Run("handle", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				Handle(context.Background(), env)
			}
		})
	})
	b.Run("http", func(b *testing.B) {
		w := startHTTP(b, HTTPOptions{Token: "tok", Concurrency: 1 << 20})
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		defer client.CloseIdleConnections()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("POST", w.url+"/invoke", bytes.NewReader(env))
				req.Header.Set(auth[0], auth[1])
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	})
}
