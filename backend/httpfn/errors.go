package httpfn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/internal/retryafter"
	"github.com/overcast-sc/overcast/worker"
)

// Error is a classified failure of an invocation.
type Error struct {
	Code driver.ErrorCode
	Msg  string
	Err  error
	// Status is the HTTP status of the answer, zero when none came.
	Status int
	// After is how long the platform asked to wait (Retry-After).
	After time.Duration
	// Allowed is how many invocations the workers take at once, all
	// endpoints together, when a worker said (zero when unknown).
	Allowed int
	// perWorker is the concurrency the one worker named.
	perWorker int
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// RetryAfter returns how long the platform asked the caller to wait
// before trying again; zero when it did not say (driver.ThrottleError).
func (e *Error) RetryAfter() time.Duration { return e.After }

// Limit returns how many invocations the workers take at once, when an
// overcast worker said so in its 429 (its concurrency times the
// endpoints); zero when unknown, as other platforms do not say
// (driver.ThrottleError).
func (e *Error) Limit() int { return e.Allowed }

var _ driver.ThrottleError = (*Error)(nil)

// errorCode classifies an error Invoke returned.
func errorCode(err error) driver.ErrorCode {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	}
	return driver.Unknown
}

// statusError classifies an answer other than 200 from endpoint ep.
func (d *Driver) statusError(ep string, resp *http.Response, body []byte) *Error {
	code := resp.StatusCode
	e := &Error{Status: code}
	where := invokeURL(ep)
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		e.Code, e.After = driver.ResourceExhausted, retryafter.Of(resp.Header, time.Now())
		if n, err := strconv.Atoi(resp.Header.Get(worker.ConcurrencyHeader)); err == nil && n > 0 {
			e.Allowed, e.perWorker = n*len(d.opts.Endpoints), n
		}
		e.Msg = fmt.Sprintf("%s is busy (HTTP %d)", where, code)
		if code == http.StatusServiceUnavailable {
			e.Msg = fmt.Sprintf("%s is unavailable, perhaps scaling from zero (HTTP 503)", where)
		}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Code = driver.PermissionDenied
		e.Msg = fmt.Sprintf("%s refused the request (HTTP %d) sent with %s", where, code, d.creds.about)
	case code == http.StatusNotFound:
		e.Code = driver.NotFound
		e.Msg = fmt.Sprintf("no worker at %s (HTTP 404); check --endpoint", where)
	case code == http.StatusRequestEntityTooLarge:
		e.Code = driver.InvalidArgument
		e.Msg = fmt.Sprintf("%s refused the task envelope as too large (HTTP 413); lower the payload limit (limit=, now %d bytes) so that bigger payloads go through object storage", where, d.limit)
	case code >= 500:
		e.Code, e.Msg = driver.Unavailable, fmt.Sprintf("%s failed (HTTP %d)", where, code)
	default:
		e.Code, e.Msg = driver.InvalidArgument, fmt.Sprintf("%s refused the request (HTTP %d)", where, code)
	}
	if text := bodyText(body); text != "" {
		e.Msg += ": " + text
	}
	return e
}

// bodyText is the start of an error answer's body, on one line.
func bodyText(body []byte) string {
	s := strings.Join(strings.Fields(string(body[:min(len(body), 200)])), " ")
	if strings.HasPrefix(s, "<") { // a web page says nothing useful in a line
		return ""
	}
	return s
}

// transportError classifies a request that got no answer from endpoint
// ep; wrote tells whether its headers were written.
func transportError(ep string, err error, wrote bool) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if badCertificate(err) {
		return &Error{Code: driver.Unknown, Msg: fmt.Sprintf(
			"the TLS certificate of %s is not trusted; give its CA with --ca-file (ca=)", ep), Err: err}
	}
	if !wrote || isDial(err) {
		return &Error{Code: driver.Unreachable, Msg: "cannot reach " + ep, Err: err}
	}
	return &Error{Code: driver.Lost, Msg: fmt.Sprintf(
		"the connection to %s broke after the task was sent; trying again, as tasks are idempotent", ep), Err: err}
}

// isDial reports a connection that was never made.
func isDial(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// badCertificate reports a TLS peer whose certificate was refused.
func badCertificate(err error) bool {
	var (
		ve *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// codeOfTokenError classifies a failure to get an ID token: a network
// failure is retried, a refusal is not.
func codeOfTokenError(err error) driver.ErrorCode {
	var ne net.Error
	if errors.As(err, &ne) {
		return driver.Unavailable
	}
	return driver.PermissionDenied
}

// scrub returns err with the driver's secrets redacted from its text.
func (d *Driver) scrub(err error) error {
	if err == nil || !d.creds.red.holds(err.Error()) {
		return err
	}
	out := &Error{Code: errorCode(err), Msg: d.creds.red.redact(err.Error())}
	var e *Error
	if errors.As(err, &e) {
		out.Status, out.After, out.Allowed = e.Status, e.After, e.Allowed
	}
	return out
}
