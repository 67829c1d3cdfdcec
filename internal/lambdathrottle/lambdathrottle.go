// Package lambdathrottle is a faithful stand-in for Lambda's throttling,
// in front of real Lambda endpoints (Runtime Interface Emulators): an HTTP
// server on 127.0.0.1 that answers an invocation over its concurrency
// limit as Lambda does, 429 with X-Amzn-ErrorType TooManyRequestsException,
// the reason ConcurrentInvocationLimitExceeded and, when told, a
// Retry-After header, and forwards the others to a free emulator (one
// invocation at a time each, as the emulator requires). It records what it
// saw for drivertest.RunThrottleTests.
package lambdathrottle

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend/drivertest"
)

// invocations is the path of Lambda's Invoke below the API version.
const invocations = "/2015-03-31/functions/"

// Server is the throttling stand-in.
type Server struct {
	// URL is the server's base URL. Any path prefix before Lambda's API
	// path is ignored, so that URL+"/a" and URL+"/b" are two endpoints of
	// one server.
	URL string

	limit      int
	retryAfter []string
	free       chan string
	srv        *httptest.Server

	mu       sync.Mutex
	inflight int
	log      []drivertest.Arrival
}

// New starts a server that runs at most limit invocations at once on the
// given emulators (at least limit of them). Its first throttles carry the
// Retry-After values in retryAfter, in order ("1" for one second); later
// ones carry none.
func New(limit int, emulators []string, retryAfter ...string) *Server {
	s := &Server{limit: limit, retryAfter: retryAfter, free: make(chan string, len(emulators))}
	for _, ep := range emulators {
		s.free <- strings.TrimSuffix(ep, "/")
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Log returns the invocations the server saw, in arrival order.
func (s *Server) Log() []drivertest.Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]drivertest.Arrival(nil), s.log...)
}

// Throttles returns how many invocations the server refused.
func (s *Server) Throttles() int {
	n := 0
	for _, a := range s.Log() {
		if a.Throttled {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	i := strings.Index(r.URL.Path, invocations)
	if i < 0 || r.Method != http.MethodPost {
		http.Error(w, "not an invocation", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 7<<20))
	if err != nil {
		return
	}
	var env struct{ Index, Attempt int }
	json.Unmarshal(body, &env)
	if wait, ok := s.admit(env.Index, env.Attempt); !ok {
		throttle(w, wait)
		return
	}
	defer s.done()
	ep := <-s.free
	defer func() { s.free <- ep }()
	s.forward(w, r, ep+r.URL.Path[i:], body)
}

// admit counts an arrival against the limit; wait is the Retry-After of a
// refusal.
func (s *Server) admit(index, attempt int) (wait string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := drivertest.Arrival{Index: index, Attempt: attempt, At: time.Now(), InFlight: s.inflight}
	if s.inflight < s.limit {
		s.inflight++
		a.InFlight = s.inflight
		s.log = append(s.log, a)
		return "", true
	}
	a.Throttled = true
	if len(s.retryAfter) > 0 {
		wait, s.retryAfter = s.retryAfter[0], s.retryAfter[1:]
		d, _ := time.ParseDuration(wait + "s")
		a.RetryAfter = d
	}
	s.log = append(s.log, a)
	return wait, false
}

func (s *Server) done() {
	s.mu.Lock()
	s.inflight--
	s.mu.Unlock()
}

// throttle answers as Lambda does over its concurrency limit.
func throttle(w http.ResponseWriter, wait string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", "TooManyRequestsException")
	if wait != "" {
		h.Set("Retry-After", wait)
	}
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, `{"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`)
}

// forward sends the invocation to an emulator and copies its answer. The
// emulator finishes it even when the caller gave up: one that gets a
// second invocation while one runs loses both.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, url string, body []byte) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
