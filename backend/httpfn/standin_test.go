package httpfn_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/backend/httpfn"
	"github.com/overcast-sc/overcast/worker"
)

// standIn is a worker in this process: the worker's own HTTP server
// (worker.HTTPServer, what overcast worker serve runs), with counts of
// what it answered and a hook that may answer a request first.
type standIn struct {
	token   string       // the token it wants; empty means none
	limit   int          // tasks at once, 429 above; zero means 1,000
	maxBody int64        // bytes of request and answer body; zero means the worker's default
	ran     atomic.Int64 // tasks run (answered 200)
	refused atomic.Int64 // requests answered 401
	tooBig  atomic.Int64 // answers over maxBody
	// before, when set, may answer a request itself (returning true)
	// before the worker gets it.
	before func(w http.ResponseWriter, r *http.Request) bool

	once sync.Once
	srv  *worker.HTTPServer
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.before != nil && s.before(w, r) {
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	s.server().ServeHTTP(cw, r)
	switch {
	case !strings.HasSuffix(r.URL.Path, "/invoke"):
	case cw.status == http.StatusOK:
		s.ran.Add(1)
	case cw.status == http.StatusUnauthorized:
		s.refused.Add(1)
	}
	if s.maxBody > 0 && cw.n > s.maxBody {
		s.tooBig.Add(1)
	}
}

func (s *standIn) server() *worker.HTTPServer {
	s.once.Do(func() {
		var err error
		s.srv, err = worker.NewHTTPServer(worker.HTTPOptions{Token: s.token, Insecure: s.token == "",
			Concurrency: cmp.Or(s.limit, 1000), MaxBody: s.maxBody})
		if err != nil {
			panic(err)
		}
	})
	return s.srv
}

// countingWriter notes the status and body size of an answer.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.n += int64(len(b))
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

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

// asJobError reports whether err is a *overcast.JobError, setting je.
func asJobError(err error, je **overcast.JobError) bool { return errors.As(err, je) }
