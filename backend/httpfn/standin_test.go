package httpfn_test

import (
	"context"
	"crypto/subtle"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/backend/httpfn"
	"github.com/overcast-sc/overcast/worker"
)

// standIn is a worker in this process that speaks the worker's HTTP
// protocol: POST /invoke runs the envelope with worker.Handle, GET
// /healthz answers; without the bearer token (when one is set) the answer
// is 401, above limit requests at once 429.
type standIn struct {
	token    string
	limit    int64
	maxBody  int64 // bytes of request or answer body taken; zero means 64 MiB
	inflight atomic.Int64
	ran      atomic.Int64 // tasks run
	refused  atomic.Int64 // requests answered 401
	// before, when set, may answer a request itself (returning true)
	// before the stand-in runs it.
	before func(w http.ResponseWriter, r *http.Request) bool
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/healthz"):
		io.WriteString(w, "ok\n")
	case !strings.HasSuffix(r.URL.Path, "/invoke"):
		http.NotFound(w, r)
	case r.Method != http.MethodPost:
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
	case s.token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.token)) != 1:
		s.refused.Add(1)
		http.Error(w, "missing or wrong credential", http.StatusUnauthorized)
	case s.before != nil && s.before(w, r):
	default:
		s.invoke(w, r)
	}
}

func (s *standIn) invoke(w http.ResponseWriter, r *http.Request) {
	if n := s.inflight.Add(1); s.limit > 0 && n > s.limit {
		s.inflight.Add(-1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	defer s.inflight.Add(-1)
	max := s.maxBody
	if max == 0 {
		max = 64 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	s.ran.Add(1)
	out := worker.Handle(r.Context(), body)
	if s.maxBody > 0 && int64(len(out)) > s.maxBody {
		http.Error(w, "the answer is over the stand-in's limit", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// serve starts s on a loopback port and returns its base URL.
func serve(t testing.TB, s *standIn) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// open opens the http backend over the given endpoints with extra URL
// settings (say "&auth=none").
func open(t testing.TB, endpoints []string, settings string) *backend.Backend {
	t.Helper()
	b, err := backend.Open(context.Background(), "http://?endpoint="+strings.Join(endpoints, ",")+settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// executor returns an executor over b without backup copies, which would
// blur the counts of attempts the tests check.
func executor(b *backend.Backend, opts *overcast.Options) *overcast.Executor {
	if opts == nil {
		opts = &overcast.Options{}
	}
	opts.BackoffBase = 10 * time.Millisecond
	opts.Speculation.Disable = true
	return overcast.NewExecutorFor(b, opts)
}

// echo runs n echo tasks on ex and checks their outputs.
func echo(t *testing.T, ex *overcast.Executor, ins []selftest.Input) *overcast.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins)
	outs, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.N != ins[i].N || o.Pad != ins[i].Pad {
			t.Fatalf("output %d = n %d (%d bytes of pad), want n %d (%d bytes)", i, o.N, len(o.Pad), ins[i].N, len(ins[i].Pad))
		}
	}
	return f.Report()
}

// numbered returns n echo inputs.
func numbered(n int) []selftest.Input {
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i].N = i * 3
	}
	return ins
}

// envelope is an encoded request of one echo task.
func envelope(t testing.TB, n int) []byte {
	t.Helper()
	b, err := worker.EncodeRequest(&worker.Request{Task: selftest.Echo, Job: "j", Index: n, Attempt: 1, Input: []byte(`{"n":` + strconv.Itoa(n) + `}`)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

var _ = httpfn.DefaultConcurrency

// runEcho runs echo tasks on ex and returns their outputs and the job's
// error.
func runEcho(ex *overcast.Executor, ins []selftest.Input) ([]selftest.Output, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
}

// discardLog is a server error log that drops its lines (the TLS
// handshakes a test makes fail on purpose).
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
