package httpfn_test

import (
	"context"
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/overcast-sc/overcast/backend"
	_ "github.com/overcast-sc/overcast/backend/drivertest/selftest" // the tasks the workers run
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
	inflight atomic.Int64
	ran      atomic.Int64 // tasks run
	refused  atomic.Int64 // requests answered 401
	// before, when set, may answer a request itself (returning true)
	// before the stand-in runs it.
	before func(w http.ResponseWriter, r *http.Request) bool
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		io.WriteString(w, "ok\n")
	case r.URL.Path != "/invoke":
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	s.ran.Add(1)
	out := worker.Handle(r.Context(), body)
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

var _ = httpfn.DefaultConcurrency
