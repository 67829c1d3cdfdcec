package openwhisk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// floodBody is a peer's answer of n bytes that are never all in memory; it
// counts what was read of it.
type floodBody struct {
	left int64
	read atomic.Int64
}

func (b *floodBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), b.left))
	for i := range p[:n] {
		p[i] = 'x'
	}
	if b.read.Load() == 0 && n > 0 {
		p[0] = '{' // looks like the start of a JSON document
	}
	b.left -= int64(n)
	b.read.Add(int64(n))
	return n, nil
}

func (b *floodBody) Close() error { return nil }

type floodTransport struct {
	status int
	body   *floodBody
}

func (f *floodTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Header: http.Header{}, Body: f.body, ContentLength: -1, Request: r}, nil
}

// TestOversizedAnswersAreBounded has a peer answer 100 MB to each call and
// checks that the client reads no more than the call's bound and fails
// with an error that names it (or, for a refusal, keeps a short message).
func TestOversizedAnswersAreBounded(t *testing.T) {
	const flood = 100 << 20
	ctx := context.Background()
	invoke := func(c *Client) error { _, _, err := c.Invoke(ctx, "a", []byte(`{}`), false); return err }
	blocking := func(c *Client) error { _, _, err := c.Invoke(ctx, "a", []byte(`{}`), true); return err }
	getActivation := func(c *Client) error { _, err := c.GetActivation(ctx, "id"); return err }
	getAction := func(c *Client) error { _, err := c.GetAction(ctx, "a"); return err }
	limits := func(c *Client) error { _, err := c.Limits(ctx); return err }
	tests := []struct {
		name   string
		status int
		call   func(c *Client) error
		limit  int64
		want   string
	}{
		{"invoke", 200, invoke, maxActivationBody, fmt.Sprint(maxActivationBody)},
		{"blocking invoke 502", 502, blocking, maxActivationBody, "(HTTP 502)"},
		{"get activation", 200, getActivation, maxActivationBody, fmt.Sprint(maxActivationBody)},
		{"get action", 200, getAction, maxActivationBody, fmt.Sprint(maxActivationBody)},
		{"limits", 200, limits, maxErrorBody, fmt.Sprint(maxErrorBody)},
		{"refusal", 404, getActivation, maxErrorBody, "(HTTP 404)"},
		{"throttled", 429, invoke, maxErrorBody, "(HTTP 429)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &floodBody{left: flood}
			err := tt.call(cannedClient(t, &floodTransport{status: tt.status, body: body}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error of %d bytes: %.100s...", len(err.Error()), err)
			}
			if tt.status == 200 && !errors.Is(err, errTooLarge) {
				t.Errorf("err = %v, want errTooLarge (InvalidArgument)", err)
			}
			if n := body.read.Load(); n > tt.limit+64<<10 {
				t.Errorf("read %d bytes of the answer, bound %d", n, tt.limit)
			}
		})
	}
}
