package httpfn

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/internal/retryafter"
)

// OpenFaaS's asynchronous mode: the driver POSTs each task to the
// gateway's /async-function/NAME/invoke with an X-Callback-Url; the gateway
// answers 202 Accepted with an X-Call-Id, and its queue-worker later runs
// the task and POSTs the worker's answer to that URL, with X-Call-Id and
// X-Function-Status. The driver listens for those callbacks itself.
//
// Each call's callback URL carries a slot number and a 128-bit random
// token: a callback is taken only when its token matches the slot's (in
// constant time) and its X-Call-Id matches the one the gateway accepted,
// so nobody who can reach the listener can post results for tasks they
// did not see. The gateway neither retries a callback nor keeps a result,
// so a call whose callback does not come within the callback timeout is
// given up as Lost, and the scheduler tries the task again.

// AsyncOptions configure the asynchronous mode. Endpoint is required.
type AsyncOptions struct {
	// Endpoint is the function's asynchronous URL on the gateway,
	// http://GATEWAY/async-function/NAME; tasks go to Endpoint + "/invoke".
	Endpoint string
	// Client sends the calls; nil means a client with keep-alive.
	Client HTTPClient
	// Authorize, when set, adds the worker's credential to each call;
	// the gateway passes it on to the worker.
	Authorize func(*http.Request) error
	// CallbackAddr is the address the callback listener binds; empty
	// means 127.0.0.1:0, which only a gateway on this machine reaches.
	CallbackAddr string
	// CallbackURL is the listener's URL as the gateway reaches it (the
	// driver may be behind NAT or a proxy); empty means
	// http://CALLBACK_ADDR. Callbacks go to CallbackURL/callback/N/TOKEN.
	CallbackURL string
	// CallbackTimeout is how long a call waits for its callback once the
	// gateway accepted it; zero means 15 min.
	CallbackTimeout time.Duration
	// MaxCallbackBody bounds a callback's body; zero means 32 MiB.
	MaxCallbackBody int64
	// Capacity is how many calls wait for callbacks at once; zero means 100.
	Capacity int
	// PayloadLimit is the largest task envelope sent; zero means
	// DefaultAsyncPayloadLimit. The gateway queues each call as one NATS
	// message of at most max_payload (1 MiB unless raised), holding the
	// request JSON-encoded with the body in base64: bigger inputs and
	// outputs pass through object storage.
	PayloadLimit int
}

// DefaultAsyncPayloadLimit is the envelope that fits, with its headers,
// in NATS's default max_payload of 1 MiB once encoded in base64.
const DefaultAsyncPayloadLimit = 512 << 10

// Async is a driver.Backend for OpenFaaS's asynchronous invocations.
type Async struct {
	opts   AsyncOptions
	client HTTPClient
	ln     net.Listener
	srv    *http.Server
	base   string

	mu    sync.Mutex
	calls map[uint64]*call
	next  uint64

	refused atomic.Int64
}

// call is one invocation waiting for its callback.
type call struct {
	token  string
	result chan *result // buffered: the first callback's result
}

// result is what a callback brought.
type result struct {
	callID string
	status int
	header http.Header
	body   []byte
	err    error // the callback could not be taken (too big, malformed)
}

// OpenAsync opens the asynchronous mode for o, whose one endpoint is a
// function's asynchronous URL: o's auth signs the calls (the gateway
// passes the worker's token on), o's TLS settings reach the gateway, and
// o's callback settings place the listener.
func OpenAsync(ctx context.Context, o *Options) (*Async, error) {
	if len(o.Endpoints) != 1 {
		return nil, fmt.Errorf("an async-function endpoint must be the only endpoint, got %d", len(o.Endpoints))
	}
	creds, err := newSigner(ctx, o.Auth, o.Endpoints)
	if err != nil {
		return nil, err
	}
	client := o.HTTPClient
	if client == nil {
		tr, err := newTransport(o)
		if err != nil {
			return nil, err
		}
		client = &http.Client{Transport: tr}
	}
	return NewAsync(AsyncOptions{Endpoint: o.Endpoints[0], Client: client,
		Authorize:    func(r *http.Request) error { return creds.signer.sign(r, 0) },
		CallbackAddr: o.CallbackAddr, CallbackURL: o.CallbackURL, CallbackTimeout: o.CallbackTimeout,
		Capacity: o.Concurrency, PayloadLimit: o.PayloadLimit})
}

// NewAsync starts the callback listener and returns the driver.
func NewAsync(opts AsyncOptions) (*Async, error) {
	if err := asyncDefaults(&opts); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.CallbackAddr)
	if err != nil {
		return nil, fmt.Errorf("callback listener: %w", err)
	}
	a := &Async{opts: opts, client: opts.Client, ln: ln, calls: map[uint64]*call{}}
	a.base = strings.TrimSuffix(opts.CallbackURL, "/")
	if a.base == "" {
		a.base = "http://" + ln.Addr().String()
	}
	a.srv = &http.Server{Handler: http.HandlerFunc(a.serveCallback), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 2 * time.Minute, WriteTimeout: time.Minute}
	go a.srv.Serve(ln)
	return a, nil
}

func asyncDefaults(o *AsyncOptions) error {
	if !IsAsyncEndpoint(o.Endpoint) {
		return fmt.Errorf("async endpoint %q is not http(s)://GATEWAY/async-function/NAME", o.Endpoint)
	}
	o.Endpoint = strings.TrimSuffix(o.Endpoint, "/")
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
	}
	if o.CallbackAddr == "" {
		o.CallbackAddr = "127.0.0.1:0"
	}
	if o.CallbackURL != "" && !strings.HasPrefix(o.CallbackURL, "http://") && !strings.HasPrefix(o.CallbackURL, "https://") {
		return fmt.Errorf("callback URL %q is not http(s)://HOST[:PORT][/PATH]", o.CallbackURL)
	}
	if o.CallbackTimeout <= 0 {
		o.CallbackTimeout = 15 * time.Minute
	}
	if o.MaxCallbackBody <= 0 {
		o.MaxCallbackBody = 32 << 20
	}
	if o.Capacity <= 0 {
		o.Capacity = 100
	}
	if o.PayloadLimit <= 0 {
		o.PayloadLimit = DefaultAsyncPayloadLimit
	}
	return nil
}

// IsAsyncEndpoint reports whether u names a function's asynchronous route
// on an OpenFaaS gateway: http(s)://GATEWAY/async-function/NAME.
func IsAsyncEndpoint(u string) bool {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "https://")
	}
	_, path, _ := strings.Cut(rest, "/")
	name, found := strings.CutPrefix(strings.TrimSuffix(path, "/"), "async-function/")
	return ok && found && name != "" && !strings.Contains(name, "/")
}

// CallbackURL returns the base URL callbacks go to.
func (a *Async) CallbackURL() string { return a.base }

// Refused returns how many callbacks were refused for a wrong token.
func (a *Async) Refused() int64 { return a.refused.Load() }

// Capacity returns how many calls may wait for callbacks at once.
func (a *Async) Capacity() int { return a.opts.Capacity }

// PayloadLimit returns the largest envelope sent (driver.PayloadLimiter).
func (a *Async) PayloadLimit() int { return a.opts.PayloadLimit }

// Invoke sends inv to the gateway and waits for its callback.
func (a *Async) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if len(inv.Payload) > a.opts.PayloadLimit {
		return nil, &statusError{from: "driver", status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf(
			"task envelope is %d bytes, over the async limit of %d; pass large data through object storage", len(inv.Payload), a.opts.PayloadLimit)}
	}
	n, c := a.register()
	defer a.unregister(n)
	callID, err := a.send(ctx, inv.Payload, fmt.Sprintf("%s/callback/%d/%s", a.base, n, c.token))
	if err != nil {
		return nil, err
	}
	if inv.Dispatched != nil {
		inv.Dispatched("") // the gateway keeps no result to fetch later
	}
	return a.await(ctx, c, callID)
}

// register opens a slot for one call's callback.
func (a *Async) register() (uint64, *call) {
	var tok [16]byte
	rand.Read(tok[:])
	c := &call{token: hex.EncodeToString(tok[:]), result: make(chan *result, 1)}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	a.calls[a.next] = c
	return a.next, c
}

func (a *Async) unregister(n uint64) {
	a.mu.Lock()
	delete(a.calls, n)
	a.mu.Unlock()
}

// send POSTs the task and returns the gateway's X-Call-Id.
func (a *Async) send(ctx context.Context, payload []byte, callback string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.opts.Endpoint+"/invoke", bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Callback-Url", callback)
	if a.opts.Authorize != nil {
		if err := a.opts.Authorize(req); err != nil {
			return "", err
		}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", &sendError{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", newStatusError("gateway", resp.StatusCode, resp.Header, msg)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	id := resp.Header.Get("X-Call-Id")
	if id == "" {
		return "", &statusError{from: "gateway", status: resp.StatusCode, msg: "202 Accepted without an X-Call-Id"}
	}
	return id, nil
}

// await waits for the call's callback, ctx, or the callback timeout.
func (a *Async) await(ctx context.Context, c *call, callID string) (*driver.Activation, error) {
	t := time.NewTimer(a.opts.CallbackTimeout)
	defer t.Stop()
	select {
	case r := <-c.result:
		return activation(r, callID)
	case <-t.C:
		return nil, &lostError{callID: callID, after: a.opts.CallbackTimeout}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// activation turns a callback into the call's Activation or error.
func activation(r *result, callID string) (*driver.Activation, error) {
	switch {
	case r.err != nil:
		return nil, r.err
	case r.callID != callID:
		return nil, &lostError{callID: callID, msg: fmt.Sprintf("callback carried X-Call-Id %q", r.callID)}
	case r.status != http.StatusOK:
		return nil, newStatusError("function", r.status, r.header, r.body)
	}
	return &driver.Activation{ID: callID, Payload: r.body}, nil
}

// Close stops the callback listener; calls still waiting fail when their
// contexts end.
func (a *Async) Close() error {
	return a.srv.Close()
}

// ErrorCode classifies an error of Invoke.
func (a *Async) ErrorCode(err error) driver.ErrorCode {
	var (
		se   *statusError
		lost *lostError
		send *sendError
	)
	switch {
	case errors.As(err, &lost):
		return driver.Lost
	case errors.As(err, &se):
		return se.code()
	case errors.As(err, &send):
		return driver.Unreachable
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	}
	return driver.Unknown
}

// lostError is a call whose result never came.
type lostError struct {
	callID string
	after  time.Duration
	msg    string
}

func (e *lostError) Error() string {
	if e.msg != "" {
		return fmt.Sprintf("async call %s: %s", e.callID, e.msg)
	}
	return fmt.Sprintf("async call %s: no callback within %v", e.callID, e.after)
}

// sendError is a call that never got an answer from the gateway.
type sendError struct{ err error }

func (e *sendError) Error() string { return "gateway: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// statusError is an HTTP status other than success, from the gateway or,
// through a callback's X-Function-Status, from the function.
type statusError struct {
	from       string
	status     int
	msg        string
	retryAfter time.Duration
}

func newStatusError(from string, status int, h http.Header, body []byte) *statusError {
	return &statusError{from: from, status: status, msg: bodyText(body), retryAfter: retryafter.Of(h, time.Now())}
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("%s answered %d %s", e.from, e.status, http.StatusText(e.status))
	if e.msg != "" {
		s += ": " + e.msg
	}
	return s
}

// RetryAfter and Limit make a 429 or 503 a driver.ThrottleError.
func (e *statusError) RetryAfter() time.Duration { return e.retryAfter }
func (e *statusError) Limit() int                { return 0 }

func (e *statusError) code() driver.ErrorCode {
	switch {
	case e.status == http.StatusTooManyRequests:
		return driver.ResourceExhausted
	case e.status == http.StatusUnauthorized || e.status == http.StatusForbidden:
		return driver.PermissionDenied
	case e.status == http.StatusNotFound:
		return driver.NotFound
	case e.status >= 500:
		return driver.Unavailable
	case e.status >= 400:
		return driver.InvalidArgument
	}
	return driver.Unknown
}
