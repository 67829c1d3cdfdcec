package openwhisk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// APIError is a refusal by the OpenWhisk API, classified.
type APIError struct {
	// Op is what was attempted, e.g. "invoke action overcast".
	Op string
	// Status is the HTTP status; Message the platform's message.
	Status  int
	Message string
	// Code is the backend error code the status maps to.
	Code driver.ErrorCode
	// Count and Allowed are parsed from a 429 message; Concurrent tells
	// which limit it was (concurrent activations or invocations a minute).
	Count, Allowed int
	Concurrent     bool
}

// RetryAfter returns zero: OpenWhisk's 429 names a limit, not a time
// (driver.ThrottleError).
func (e *APIError) RetryAfter() time.Duration { return 0 }

// Limit returns the limit a 429's message names, zero when it names none
// (driver.ThrottleError): activations in flight for a concurrency
// throttle, invocations a minute otherwise (PerMinute).
func (e *APIError) Limit() int {
	if e.Status != 429 {
		return 0
	}
	return e.Allowed
}

// PerMinute reports whether a 429 was of the invocations-a-minute limit
// (driver.PerMinuteError). OpenWhisk has two limits and says "concurrent"
// for the other; a 429 that says neither is taken for the per-minute one,
// whose throttles are the ones pacing cures.
func (e *APIError) PerMinute() bool { return e.Status == 429 && !e.Concurrent }

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Op, msg, e.Status)
}

// ProtocolError is an answer no OpenWhisk API gives, such as {} to an
// invocation or a web page where JSON belongs: the server at the API host
// is something else, so trying again cannot help.
type ProtocolError struct {
	// Op is what was attempted; Host the API host that answered.
	Op, Host string
	Status   int
	// Want says what the answer lacked; Body is its start.
	Want, Body string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("%s: %s answered HTTP %d %q without %s, which no OpenWhisk API does; check the API host (--apihost, APIHOST in ~/.wskprops, WHISK_APIHOST)",
		e.Op, e.Host, e.Status, e.Body, e.Want)
}

// ConnectionError is a request to the API host that got no whole answer:
// the connection could not be made, or it broke before the answer ended
// (closed, reset, timed out). It names the host, whatever the transport
// said. The platform counts as unreachable: tasks are idempotent, so the
// request is tried again.
type ConnectionError struct {
	// Host is the API host the request went to (host:port).
	Host string
	// Err is the transport's error.
	Err error
}

func (e *ConnectionError) Error() string {
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "nothing is listening at " + e.Host + " (connection refused)"
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		return e.Host + " closed the connection mid-answer"
	case errors.Is(e.Err, io.EOF):
		return e.Host + " closed the connection before answering"
	}
	msg := e.Err.Error()
	var ue *url.Error
	if errors.As(e.Err, &ue) { // the URL says nothing the host does not
		msg = strings.Replace(msg, ue.Error(), ue.Err.Error(), 1)
	}
	return "cannot reach " + e.Host + ": " + msg
}

// Unwrap returns the transport's error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// SimAddr is where overcast sim listens by default, and OpenWhisk's
// standalone server too.
const SimAddr = "127.0.0.1:3233"

// apiHostHint adds to err, the first request's failure to reach the API
// host, what to check: whether the sim runs, when nothing listens at its
// default address; else the settings that name the host.
func apiHostHint(err error) error {
	var ce *ConnectionError
	if !errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, syscall.ECONNREFUSED) && isSimAddr(ce.Host) {
		return fmt.Errorf("%w: is overcast sim running? (or set the API host: --apihost, APIHOST in ~/.wskprops, WHISK_APIHOST)", err)
	}
	return fmt.Errorf("%w; check the API host (--apihost, APIHOST in ~/.wskprops, WHISK_APIHOST)", err)
}

// isSimAddr reports whether host is SimAddr, by any name of the loopback
// address.
func isSimAddr(host string) bool {
	h, port, err := net.SplitHostPort(host)
	if err != nil || port != "3233" {
		return false
	}
	return h == "localhost" || net.ParseIP(h).Equal(net.IPv4(127, 0, 0, 1))
}

// TaskError is a platform-side failure of an activation that carried no
// worker response: a crash, an out-of-memory kill, the action's time limit.
type TaskError struct {
	// Code is TaskFailed when zero (a time limit); Crashed for a process
	// that died without answering; Unavailable for a whisk internal error.
	Code         driver.ErrorCode
	ActivationID string
	Status       string
	Message      string
	// Logs are the last lines of the activation's logs, for a crash or a
	// time limit: what the process wrote before it died.
	Logs []string
	// Duration is the activation's duration as the platform recorded (and
	// bills) it; zero for an internal error.
	Duration time.Duration
}

func (e *TaskError) Error() string {
	msg := fmt.Sprintf("activation %s: %s: %s", e.ActivationID, e.Status, e.Message)
	if len(e.Logs) > 0 {
		msg += "; last logs: " + strings.Join(e.Logs, " | ")
	}
	return msg
}

// BilledDuration returns the activation's billed duration (driver.BilledError).
func (e *TaskError) BilledDuration() time.Duration { return e.Duration }

// AttemptID returns the activation id (driver.AttemptError).
func (e *TaskError) AttemptID() string { return e.ActivationID }

// AttemptLogs returns nil: the platform keeps the activation's logs whole
// (Driver.Logs), and the message already quotes their last lines.
func (e *TaskError) AttemptLogs() []string { return nil }

// LostError says an activation's record never appeared by its deadline.
type LostError struct {
	ActivationID string
	Waited       time.Duration
}

// AttemptID returns the activation id (driver.AttemptError).
func (e *LostError) AttemptID() string { return e.ActivationID }

// AttemptLogs returns nil: a lost activation has no record.
func (e *LostError) AttemptLogs() []string { return nil }

func (e *LostError) Error() string {
	return fmt.Sprintf("activation %s: no record after %v; presumed lost", e.ActivationID, e.Waited)
}

func lost(id string, submitted time.Time) *LostError {
	return &LostError{ActivationID: id, Waited: time.Since(submitted).Round(time.Millisecond)}
}

// errorCode classifies an error of this package.
func errorCode(err error) driver.ErrorCode {
	var ae *APIError
	var te *TaskError
	var le *LostError
	var pe *ProtocolError
	var ce *ConnectionError
	var ne net.Error
	switch {
	case err == nil:
		return driver.OK
	case errors.As(err, &pe):
		return driver.Unknown // not retried: the server is not an OpenWhisk
	case errors.As(err, &ae):
		return ae.Code
	case errors.As(err, &te):
		if te.Code != driver.Unknown {
			return te.Code
		}
		return driver.TaskFailed
	case errors.As(err, &le):
		return driver.Lost
	case errors.Is(err, errTooLarge):
		return driver.InvalidArgument
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	case errors.As(err, &ce), errors.As(err, &ne):
		// Connection refused, reset or timed out: the platform is not
		// answering. Tasks are idempotent, so a retry is safe.
		return driver.Unreachable
	}
	return driver.Unknown
}

var errTooLarge = errors.New("too large")

// statusCode maps an HTTP status of the API to a backend error code.
func statusCode(status int) driver.ErrorCode {
	switch status {
	case 429:
		return driver.ResourceExhausted
	case 500, 502, 503, 504:
		return driver.Unavailable
	case 401, 403:
		return driver.PermissionDenied
	case 404:
		return driver.NotFound
	case 400, 409, 413, 422:
		return driver.InvalidArgument
	}
	return driver.Unknown
}

var throttleRE = regexp.MustCompile(`\(count: (\d+), allowed: (\d+)\)`)
var concurrentRE = regexp.MustCompile(`(?i)concurrent`)

// newAPIError builds the error for an API refusal, explaining the common ones.
func newAPIError(op string, status int, message string) *APIError {
	e := &APIError{Op: op, Status: status, Message: message, Code: statusCode(status)}
	switch status {
	case 401, 403:
		e.Message = fmt.Sprintf("the OpenWhisk API refused the credentials (%d); check AUTH in ~/.wskprops (or WSK_CONFIG_FILE, WHISK_AUTH, --auth)", status)
		if message != "" {
			e.Message += ": " + message
		}
	case 429:
		if m := throttleRE.FindStringSubmatch(message); m != nil {
			e.Count, _ = strconv.Atoi(m[1])
			e.Allowed, _ = strconv.Atoi(m[2])
		}
		e.Concurrent = concurrentRE.MatchString(message)
	}
	return e
}

var _ driver.PerMinuteError = (*APIError)(nil)
