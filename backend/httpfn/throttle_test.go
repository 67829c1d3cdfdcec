//go:build linux

package httpfn_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/worker"
)

// recorder is a reverse proxy in front of one worker that notes every
// invocation as it arrives and what the worker answered, for
// drivertest.RunThrottleTests.
type recorder struct {
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	inflight int
	log      []drivertest.Arrival
}

func newRecorder(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{proxy: httputil.NewSingleHostReverseProxy(u)}
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := worker.DecodeRequest(body)
	if err != nil {
		rec.proxy.ServeHTTP(w, r)
		return
	}
	rec.mu.Lock()
	rec.inflight++
	i := len(rec.log)
	rec.log = append(rec.log, drivertest.Arrival{Index: req.Index, Attempt: req.Attempt, At: time.Now(), InFlight: rec.inflight})
	rec.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	rec.proxy.ServeHTTP(sw, r)
	rec.mu.Lock()
	rec.inflight--
	if sw.status == http.StatusTooManyRequests {
		a := &rec.log[i]
		a.Throttled, a.InFlight = true, a.InFlight-1
		if s, err := strconv.Atoi(sw.Header().Get("Retry-After")); err == nil {
			a.RetryAfter = time.Duration(s) * time.Second
		}
	}
	rec.mu.Unlock()
}

func (rec *recorder) arrivals() []drivertest.Arrival {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]drivertest.Arrival(nil), rec.log...)
}

// statusWriter notes an answer's status.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// TestThrottleConformance runs the shared throttle suite against a worker
// serve process that runs 4 tasks at once and answers 429 with
// Retry-After: 1 above that, naming its concurrency, while the driver may
// send 16: the window keeps to the named limit, the Retry-After is
// honoured, and the job completes.
func TestThrottleConformance(t *testing.T) {
	p := startWorkers(t, 1, "", "--concurrency", "4")[0]
	var rec *recorder
	drivertest.RunThrottleTests(t, drivertest.ThrottleHarness{
		Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
			rec = newRecorder(t, p.url)
			srv := httptest.NewServer(rec)
			t.Cleanup(srv.Close)
			return backend.Open(ctx, "http://?concurrency=16&endpoint="+srv.URL)
		},
		Limit:        4,
		ReportsLimit: true,
		// Every 429 of the worker asks for a second's wait, which holds
		// the whole job back: a short job keeps the test short.
		Tasks:      48,
		Log:        func() []drivertest.Arrival { return rec.arrivals() },
		RetryAfter: true,
	})
}
