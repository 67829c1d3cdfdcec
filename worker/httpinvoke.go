package worker

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ConcurrencyHeader names the header of a 429 that says how many tasks
// the worker runs at once, so that a client can keep to it.
const ConcurrencyHeader = "X-Overcast-Concurrency"

// invoke runs the task of one POST /invoke.
func (s *HTTPServer) invoke(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.logRefusal(r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="overcast"`)
		http.Error(w, "unauthorized: missing or wrong token", http.StatusUnauthorized)
		return
	}
	switch s.acquire() {
	case refusedDraining:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "worker is shutting down", http.StatusServiceUnavailable)
		return
	case refusedFull:
		w.Header().Set("Retry-After", "1")
		w.Header().Set(ConcurrencyHeader, strconv.Itoa(s.limit))
		http.Error(w, fmt.Sprintf("worker busy: %d tasks running", s.limit), http.StatusTooManyRequests)
		return
	}
	defer s.release()
	rc := http.NewResponseController(w)
	// Deadlines are best effort: a server that is not ours (the functions
	// framework's) may not support them, and then keeps its own.
	_ = rc.SetWriteDeadline(time.Now().Add(bodyTimeout + s.taskTimeout + answerTimeout))
	body, status, err := s.readBody(w, rc, r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.taskTimeout)
	defer cancel()
	out := Handle(ctx, body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
}

// readBody reads the request's body within bodyTimeout and MaxBody, and
// then lifts the read deadline, which is the body's alone.
func (s *HTTPServer) readBody(w http.ResponseWriter, rc *http.ResponseController, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > s.maxBody {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body of %d bytes is over the worker's bound of %d", r.ContentLength, s.maxBody)
	}
	_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	_ = rc.SetReadDeadline(time.Time{})
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body over the worker's bound of %d bytes", s.maxBody)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("read request body: %w", err)
	}
	return body, 0, nil
}

// authorized reports whether r carries the token, as a bearer token or
// in X-Overcast-Token. Both are compared in constant time, through their
// SHA-256 so that not even the token's length shows in the timing.
func (s *HTTPServer) authorized(r *http.Request) bool {
	if s.insecure {
		return true
	}
	ok := 0
	if t, found := bearer(r.Header.Get("Authorization")); found {
		ok |= s.matches(t)
	}
	if t := r.Header.Get("X-Overcast-Token"); t != "" {
		ok |= s.matches(t)
	}
	return ok == 1
}

func (s *HTTPServer) matches(token string) int {
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], s.tokenHash[:])
}

// bearer returns the token of an Authorization header value of the Bearer
// scheme, whose name is case-insensitive (RFC 9110).
func bearer(v string) (string, bool) {
	scheme, token, found := strings.Cut(v, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// logRefusal logs the 1st, 10th, 100th... request refused for its
// credential: enough to tell a wrong token from a silent client, without
// letting anyone who can reach the port fill the logs.
func (s *HTTPServer) logRefusal(r *http.Request) {
	n := s.refused.Add(1)
	for p := int64(1); p <= n; p *= 10 {
		if p == n {
			fmt.Fprintf(s.logs, "overcast worker: refused a task request for a missing or wrong token (%d so far, the last from %s)\n", n, r.RemoteAddr)
			return
		}
	}
}

// healthz answers 200 while the server takes tasks and 503 once it drains,
// so that a platform's readiness probe stops sending it requests.
func (s *HTTPServer) healthz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if draining {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "draining\n")
		return
	}
	io.WriteString(w, "ok\n")
}
