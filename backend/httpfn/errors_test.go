package httpfn_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
)

// TestAnswersAreClassified has an endpoint answer each status a platform
// may send and checks the code, the Retry-After hint and the message.
func TestAnswersAreClassified(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		status      int
		header      string // Retry-After
		body        string
		code        backend.ErrorCode
		after       time.Duration // at least
		afterAtMost time.Duration
		msg         string
	}{
		{429, "2", "slow down", backend.ResourceExhausted, 2 * time.Second, 2 * time.Second, "is busy (HTTP 429): slow down"},
		{429, "", "", backend.ResourceExhausted, 0, 0, "is busy (HTTP 429)"},
		{503, date, "", backend.ResourceExhausted, 25 * time.Second, 30 * time.Second, "perhaps scaling from zero (HTTP 503)"},
		{503, "100000", "", backend.ResourceExhausted, 5 * time.Minute, 5 * time.Minute, "HTTP 503"},
		{401, "", "no", backend.PermissionDenied, 0, 0, "refused the request (HTTP 401) sent with a bearer token from OVERCAST_TOKEN: no"},
		{403, "", "", backend.PermissionDenied, 0, 0, "(HTTP 403) sent with a bearer token"},
		{404, "", "", backend.NotFound, 0, 0, "no worker at"},
		{413, "", "", backend.InvalidArgument, 0, 0, "lower the payload limit"},
		{500, "", "<html><body>oops</body></html>", backend.Unavailable, 0, 0, "failed (HTTP 500)"},
		{502, "", "", backend.Unavailable, 0, 0, "failed (HTTP 502)"},
		{400, "", "bad\nrequest", backend.InvalidArgument, 0, 0, "refused the request (HTTP 400): bad request"},
		{200, "", "hello", backend.TaskFailed, 0, 0, `answered something other than a task response: "hello"`},
	}
	t.Setenv("OVERCAST_TOKEN", "classified-token")
	for _, tt := range tests {
		srv := &standIn{before: func(w http.ResponseWriter, r *http.Request) bool {
			if tt.header != "" {
				w.Header().Set("Retry-After", tt.header)
			}
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
			return true
		}}
		b := open(t, []string{serve(t, srv)}, "")
		_, err := b.Invoke(context.Background(), &driver.Invocation{Task: "selftest/echo", Payload: envelope(t, 1)})
		var te driver.ThrottleError
		switch {
		case backend.Code(err) != tt.code:
			t.Errorf("HTTP %d: code %v (%v), want %v", tt.status, backend.Code(err), err, tt.code)
		case !strings.Contains(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n"):
			t.Errorf("HTTP %d: %q, want one line with %q", tt.status, err, tt.msg)
		case tt.code == backend.ResourceExhausted && !errors.As(err, &te):
			t.Errorf("HTTP %d: %T is not a driver.ThrottleError", tt.status, err)
		case te != nil && (te.RetryAfter() < tt.after || te.RetryAfter() > tt.afterAtMost):
			t.Errorf("HTTP %d, Retry-After %q: RetryAfter() = %v, want %v to %v", tt.status, tt.header, te.RetryAfter(), tt.after, tt.afterAtMost)
		}
		if srv.ran.Load() != 0 {
			t.Errorf("HTTP %d: the stand-in ran a task", tt.status)
		}
	}
}

// TestPayloadOverTheLimitIsRefused checks that an envelope over the limit
// is refused before it is sent.
func TestPayloadOverTheLimitIsRefused(t *testing.T) {
	srv := &standIn{}
	b := open(t, []string{serve(t, srv)}, "&limit=16")
	_, err := b.Invoke(context.Background(), &driver.Invocation{Task: "selftest/echo", Payload: envelope(t, 1)})
	if backend.Code(err) != backend.InvalidArgument || !strings.Contains(err.Error(), "object storage") || srv.ran.Load() != 0 {
		t.Fatalf("error %v (code %v), ran %d; want invalid argument, nothing run", err, backend.Code(err), srv.ran.Load())
	}
	if got := b.PayloadLimit(); got != 16 {
		t.Errorf("PayloadLimit() = %d, want 16", got)
	}
}
