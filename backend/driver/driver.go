// Package driver defines the interface every Overcast backend implements.
// Application code uses the portable type in package backend; drivers only
// translate between the envelope and their platform and classify errors.
// Drivers never retry: they say what is retryable through ErrorCode.
//
// Drivers do not bound or pace their invocations either. The portable
// backend runs one flow control for every driver: a window of invocations
// in flight that starts at Capacity, halves on a throttle and grows by one
// per success; a pace of invocations a minute; and a gate that holds every
// invocation back until a Retry-After has passed. A driver plugs in by
// classifying its platform's throttling answer (HTTP 429, an SDK's
// TooManyRequestsException) as ResourceExhausted. If the answer says more,
// the error also implements ThrottleError: RetryAfter from a Retry-After
// header, Limit from a limit the message names. Nothing else is needed: a
// driver of an HTTP platform returns such an error for a 429, and the
// window, the Retry-After and the retries follow; an error of another code
// (a 503 Unavailable while the platform scales up) may implement
// ThrottleError too, and its Retry-After is honoured the same way. Only a
// platform with a per-minute bound implements PerMinuteError on its
// errors, and Paced when it can tell the bound up front.
// drivertest.RunThrottleTests checks a driver against a platform that
// throttles.
package driver

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/overcast-sc/overcast/worker"
)

// Invocation is one attempt of one task, ready for a platform.
type Invocation struct {
	// Task is the registered task name.
	Task string
	// Job, Index and Attempt identify the attempt; Attempt starts at 1.
	Job     string
	Index   int
	Attempt int
	// Payload is the encoded worker.Request. It is set unless the driver
	// implements ValueInvoker and asked to skip encoding.
	Payload []byte
	// Request is the task envelope with Input left empty and Value the
	// task's input as a Go value; set instead of Payload for a ValueInvoker.
	Request *worker.Request
	Value   any
	// Deadline is when the scheduler stops waiting; zero means none.
	Deadline time.Time
	// Dispatched, when not nil, is called once the attempt reached the
	// platform: by drivers of asynchronous platforms when it was accepted,
	// with its id, so that a driver restarted later can fetch the result
	// (see Fetcher); by other drivers, with an empty id, when the request
	// was sent. An attempt never dispatched never reached the platform and
	// is not billed.
	Dispatched func(id string)
}

// Activation is what a backend reports about a finished attempt.
type Activation struct {
	// ID is the platform's id for the attempt (activation id, request id).
	ID string
	// Payload is the encoded worker.Response. It is never nil on success,
	// unless Value is set instead (answering an Invocation with a Value).
	Payload []byte
	Value   *worker.ValueResponse
	// Start and End are when the platform ran the attempt, when it says.
	Start, End time.Time
	// Wait is the platform's queueing delay, Init its cold-start time.
	Wait, Init time.Duration
	// Billed is the billed duration and MemoryMB the memory it was billed for.
	Billed   time.Duration
	MemoryMB int
	// Logs are the attempt's log lines when the platform returns them with
	// the answer (Lambda's log tail); nil otherwise.
	Logs []string
}

// AttemptError is implemented by errors of attempts the platform accepted
// and then failed (a crash, a time limit, a lost record): AttemptID is the
// platform's id for the attempt, so that its logs can be found later, and
// AttemptLogs the log lines the platform returned with the failure, if any.
type AttemptError interface {
	error
	AttemptID() string
	AttemptLogs() []string
}

// LogReader is an optional interface of drivers whose platform keeps the
// logs of each attempt (OpenWhisk activations, Lambda's CloudWatch Logs):
// Logs returns the log lines of the attempt with the given id, oldest
// first. The attempt started no earlier than since (zero when unknown);
// platforms that search their logs by time start there.
type LogReader interface {
	Logs(ctx context.Context, id string, since time.Time) ([]string, error)
}

// LogLocator is an optional interface of drivers whose platform keeps logs
// where the driver cannot read them (Lambda's CloudWatch Logs): LogLocation
// says, in a sentence, where the logs of the attempt with the given id are.
type LogLocator interface {
	LogLocation(id string) string
}

// ThrottleError is implemented by errors of code ResourceExhausted whose
// platform said more than "slow down": RetryAfter is how long it asked the
// caller to wait (a Retry-After header; zero when it did not say), Limit
// the number of invocations in flight it allows (zero when unknown). The
// shared concurrency window uses both; drivers only report them.
type ThrottleError interface {
	error
	RetryAfter() time.Duration
	Limit() int
}

// PerMinuteError is implemented by ThrottleErrors of platforms that also
// bound the invocations a minute (OpenWhisk): PerMinute reports whether
// this throttle was of that bound. Limit then counts invocations a minute
// (zero when unknown), not invocations in flight, and the portable backend
// paces invocations to it instead of narrowing its window.
type PerMinuteError interface {
	ThrottleError
	PerMinute() bool
}

// Paced is an optional interface of drivers whose platform says its bound
// on invocations a minute before any throttle does (OpenWhisk's limits):
// InvocationsPerMinute returns it, zero when there is none or it is
// unknown. The portable backend paces invocations to it from the start.
type Paced interface {
	InvocationsPerMinute() int
}

// BilledError is implemented by errors of attempts that the platform ran
// before they failed (a crash, a time-out), when it reported the billed
// duration; the scheduler counts it in the job's cost.
type BilledError interface {
	error
	BilledDuration() time.Duration
}

// Backend runs invocations on one platform.
type Backend interface {
	// Invoke runs inv and blocks until its Activation is known, ctx is done,
	// or the attempt failed at the platform level. inv is never nil. A task's
	// own failure is inside the Activation's Payload, not an error; an error
	// means the platform did not deliver a response, and ErrorCode says
	// whether trying again is safe. Invoke is called from many goroutines.
	Invoke(ctx context.Context, inv *Invocation) (*Activation, error)
	// Capacity returns how many invocations the backend serves at once; the
	// scheduler uses it as the default in-flight bound.
	Capacity() int
	// ErrorCode classifies an error returned by Invoke.
	ErrorCode(err error) ErrorCode
	// Close releases the backend's resources.
	Close() error
}

// ValueInvoker is an optional interface of drivers that run tasks in the
// driver's own process and can skip encoding the envelope.
type ValueInvoker interface {
	// SkipEncoding reports whether invocations should carry Go values.
	SkipEncoding() bool
}

// PayloadLimiter is an optional interface of drivers whose platform bounds
// the size of what an invocation carries (OpenWhisk 1 MB, Lambda 6 MB).
// The scheduler passes bigger inputs, and workers bigger outputs, through
// object storage, and tells workers the limit in the envelope
// (worker.Request.Limit). A driver without it has no limit.
type PayloadLimiter interface {
	// PayloadLimit returns the largest encoded envelope, request or
	// answer, that the platform carries, in bytes; zero means no limit.
	PayloadLimit() int
}

// Deployer is an optional interface of drivers whose platform must hold
// the worker code before it can be invoked (OpenWhisk actions, Lambda
// functions). The CLI calls Deploy before a job unless told not to.
type Deployer interface {
	// Deploy installs or updates the worker, skipping the upload when the
	// platform already holds the same code. It reports what it did.
	Deploy(ctx context.Context) (*DeployInfo, error)
	// Undeploy removes what Deploy made. When there was nothing to remove
	// it returns an error wrapping ErrNotDeployed that says what it found
	// missing, so that callers can tell the user instead of claiming a
	// removal; callers that only want the worker gone treat it as success.
	Undeploy(ctx context.Context) error
}

// ErrNotDeployed is wrapped by Undeploy's error when the platform held no
// worker to remove.
var ErrNotDeployed = errors.New("nothing to remove")

// DeployInfo says what a Deploy did.
type DeployInfo struct {
	// Name is the deployed action or function.
	Name string
	// CodeHash is the hex SHA-256 of the uploaded archive.
	CodeHash string
	// Uploaded is false when the platform already held this code.
	Uploaded bool
	// Bytes is the archive size.
	Bytes int
	// Note is anything else worth telling the user, e.g. "cross-built for linux/arm64".
	Note string
}

// Fetcher is an optional interface of drivers whose platform keeps results
// of accepted attempts (OpenWhisk activations): Fetch returns the
// Activation with the given id if it has finished. It returns an error with
// code NotFound when the platform has no finished record of it.
type Fetcher interface {
	Fetch(ctx context.Context, id string) (*Activation, error)
}

// ErrorCode is the class of a backend error.
type ErrorCode int

// The error codes. Retryable ones are ResourceExhausted, Unavailable, Lost,
// Crashed and Unreachable.
const (
	// Unknown is an error the driver could not classify; not retried.
	Unknown ErrorCode = iota
	// OK is no error.
	OK
	// TaskFailed means the platform ran the task and it failed outside the
	// envelope: a crash, an out-of-memory kill, a platform-side timeout.
	TaskFailed
	// ResourceExhausted means throttled (HTTP 429); safe to retry later.
	ResourceExhausted
	// Unavailable means the platform is temporarily failing (5xx); safe to retry.
	Unavailable
	// Lost means the attempt's result never arrived; retry.
	Lost
	// DeadlineExceeded means the attempt ran past its deadline.
	DeadlineExceeded
	// Canceled means the caller's context was canceled.
	Canceled
	// PermissionDenied means credentials were refused (401/403).
	PermissionDenied
	// NotFound means the function or action does not exist.
	NotFound
	// InvalidArgument means the request was refused as malformed or too large.
	InvalidArgument
	// Crashed means the worker process died before answering: it exited,
	// was killed (out of memory) or its container was recycled. Tasks are
	// idempotent by contract, so a crash is retried, up to the attempt cap;
	// a task that crashes every time fails with the platform's message.
	Crashed
	// Unreachable means the platform could not be reached: the connection
	// was refused or reset, its host name did not resolve, or connecting
	// timed out. Safe to retry; the scheduler waits for the platform (a
	// bounded time) rather than counting such attempts against the cap.
	Unreachable
)

var codeNames = [...]string{"unknown", "ok", "task failed", "throttled", "unavailable", "lost",
	"deadline exceeded", "canceled", "permission denied", "not found", "invalid argument", "crashed", "unreachable"}

func (c ErrorCode) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// Retryable reports whether an error of this code is safe to retry: the
// platform did not deliver the attempt's result, and tasks are idempotent.
// A task's own error (inside its response) and a task that ran past its
// time limit are not retryable.
func (c ErrorCode) Retryable() bool {
	return c == ResourceExhausted || c == Unavailable || c == Lost || c == Crashed || c == Unreachable
}

// Observer learns what a driver finds out about its platform besides the
// results of invocations. Its methods are called from many goroutines and
// must be quick.
type Observer interface {
	// Request is called after a request the driver made on its own behalf
	// (an OpenWhisk collector listing activations) with when it was sent
	// and its error: nil when the platform answered, whatever the answer.
	Request(sent time.Time, err error)
	// Endpoint is called once when one of several endpoints stops
	// answering (err says why; the driver then sends it nothing but
	// probes while others answer) and once when it answers again (err nil).
	Endpoint(url string, err error)
}

// Observed is an optional interface of drivers that report to an
// Observer. The portable backend calls Observe once, before any Invoke.
type Observed interface {
	Observe(Observer)
}
