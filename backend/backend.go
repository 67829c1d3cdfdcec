// Package backend is the portable face of the platforms Overcast runs tasks
// on. A *Backend wraps a driver.Backend, checks arguments, and wraps every
// driver error exactly once in an *Error that carries its ErrorCode, so
// callers switch on codes, never on message strings.
//
// A *Backend also runs the flow control every driver shares (see
// Backend.Invoke and package driver): a window of invocations in flight
// that halves on a throttle and grows by one per success, a pace of
// invocations a minute, and a gate that holds invocations back until a
// Retry-After has passed. Drivers only report throttles.
//
// Backends are opened by URL: the scheme names the driver ("local",
// "openwhisk", "lambda") and the query carries its settings, for example
// "local://?workers=4". Drivers register their scheme in an init function;
// import the driver package (or package backend/all) to make it available.
// Settings a URL must not carry, credentials above all, are typed options
// of the driver's package: open its driver with them and wrap it with New,
// or pass an Opener that sets them to OpenWith. Nothing is process-wide.
package backend

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// ErrorCode is the class of a backend error; see driver.ErrorCode.
type ErrorCode = driver.ErrorCode

// The error codes, re-exported from package driver.
const (
	Unknown           = driver.Unknown
	OK                = driver.OK
	TaskFailed        = driver.TaskFailed
	ResourceExhausted = driver.ResourceExhausted
	Unavailable       = driver.Unavailable
	Lost              = driver.Lost
	DeadlineExceeded  = driver.DeadlineExceeded
	Canceled          = driver.Canceled
	PermissionDenied  = driver.PermissionDenied
	NotFound          = driver.NotFound
	InvalidArgument   = driver.InvalidArgument
	Crashed           = driver.Crashed
	Unreachable       = driver.Unreachable
)

// Backend runs task invocations on one platform.
type Backend struct {
	name     string
	d        driver.Backend
	closed   atomic.Bool
	watchers watchers
	flow     *flow
}

// New wraps a driver under a display name. The backend's window of
// invocations in flight starts at the driver's capacity; a driver.Paced
// driver's invocations are paced from the start.
func New(name string, d driver.Backend) *Backend {
	b := &Backend{name: name, d: d}
	perMinute := 0
	if p, ok := d.(driver.Paced); ok {
		perMinute = p.InvocationsPerMinute()
	}
	b.flow = newFlow(b.Capacity(), perMinute)
	b.watchers.b = b
	if o, ok := d.(driver.Observed); ok {
		o.Observe(&b.watchers)
	}
	return b
}

// Name returns the backend's display name (its scheme when opened by URL).
func (b *Backend) Name() string { return b.name }

// Capacity returns how many invocations the backend serves at once.
func (b *Backend) Capacity() int {
	if c := b.d.Capacity(); c > 0 {
		return c
	}
	return 1
}

// Fetch returns the finished attempt with the given id from a driver that
// keeps them (driver.Fetcher); ok is false when the driver cannot.
func (b *Backend) Fetch(ctx context.Context, id string) (act *driver.Activation, ok bool, err error) {
	f, can := b.d.(driver.Fetcher)
	if !can {
		return nil, false, nil
	}
	act, err = f.Fetch(ctx, id)
	if err != nil {
		return nil, true, b.wrap(ctx, err)
	}
	if act == nil || (act.Payload == nil && act.Value == nil) {
		return nil, true, &Error{Code: driver.NotFound, Err: fmt.Errorf("%s: activation %s has no result", b.name, id)}
	}
	return act, true, nil
}

// Logs returns the log lines of the attempt with the given id, which
// started no earlier than since (zero when unknown), from a driver whose
// platform keeps them (driver.LogReader); ok is false when the driver
// cannot read logs.
func (b *Backend) Logs(ctx context.Context, id string, since time.Time) (lines []string, ok bool, err error) {
	r, can := b.d.(driver.LogReader)
	if !can {
		return nil, false, nil
	}
	lines, err = r.Logs(ctx, id, since)
	if err != nil {
		return nil, true, b.wrap(ctx, err)
	}
	return lines, true, nil
}

// LogLocation says where the logs of the attempt with the given id are
// kept, for a driver whose platform keeps them out of its reach
// (driver.LogLocator); it is empty otherwise.
func (b *Backend) LogLocation(id string) string {
	if l, ok := b.d.(driver.LogLocator); ok {
		return l.LogLocation(id)
	}
	return ""
}

// PayloadLimit returns the largest encoded envelope, request or answer,
// the platform carries, in bytes (driver.PayloadLimiter); zero means no
// limit.
func (b *Backend) PayloadLimit() int {
	if l, ok := b.d.(driver.PayloadLimiter); ok {
		return max(l.PayloadLimit(), 0)
	}
	return 0
}

// SkipEncoding reports whether the driver takes Go values instead of
// encoded envelopes (see driver.ValueInvoker).
func (b *Backend) SkipEncoding() bool {
	v, ok := b.d.(driver.ValueInvoker)
	return ok && v.SkipEncoding()
}

// DeployInfo says what a Deploy did; see driver.DeployInfo.
type DeployInfo = driver.DeployInfo

// Deploy installs or updates the worker on a platform that must hold it
// before it is invoked (driver.Deployer: OpenWhisk, Lambda): the running
// binary itself when it can serve there as it is, else one built from
// its source (see package deploy). The upload is skipped when the
// platform already holds the same code, by its hash. info is nil, and
// nothing is done, when the driver needs no deployment. The CLI's deploy
// and run, and Executor.Deploy, all come here.
func (b *Backend) Deploy(ctx context.Context) (info *DeployInfo, err error) {
	if b.closed.Load() {
		return nil, &Error{Code: driver.Unknown, Err: ErrClosed}
	}
	d, ok := b.d.(driver.Deployer)
	if !ok {
		return nil, nil
	}
	info, err = d.Deploy(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy to %s: %w", b.name, b.wrap(ctx, err))
	}
	if info == nil {
		info = &DeployInfo{}
	}
	return info, nil
}

// Deploys reports whether the driver deploys a worker (driver.Deployer).
func (b *Backend) Deploys() bool {
	_, ok := b.d.(driver.Deployer)
	return ok
}

// Driver returns the underlying driver, for optional capabilities.
func (b *Backend) Driver() driver.Backend { return b.d }

// ErrClosed is returned by calls on a closed Backend.
var ErrClosed = errors.New("backend: closed")

// Invoke runs one attempt. A non-nil error is an *Error.
//
// It first waits for the backend's flow control: a slot in the window of
// invocations in flight, the pace of invocations a minute and the end of
// any Retry-After. A throttled attempt (ResourceExhausted) teaches them
// what its driver.ThrottleError says, or halves the window when it says
// nothing; a successful one widens the window by one. Another failure
// whose error carries a Retry-After (a 503 while a platform scales up)
// holds invocations back for that long and changes nothing else.
func (b *Backend) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if b.closed.Load() {
		return nil, &Error{Code: driver.Unknown, Err: ErrClosed}
	}
	if inv == nil || (inv.Payload == nil && inv.Request == nil) {
		return nil, &Error{Code: driver.InvalidArgument, Err: errors.New("backend: invocation without payload")}
	}
	s, err := b.flow.enter(ctx)
	if err != nil {
		return nil, b.wrap(ctx, err)
	}
	defer b.flow.leave(s)
	act, err := b.d.Invoke(ctx, inv)
	if err != nil {
		err = b.wrap(ctx, err)
		b.flow.failed(s, Code(err), err)
		return nil, err
	}
	if act == nil || (act.Payload == nil && act.Value == nil) {
		return nil, &Error{Code: driver.Lost, Err: fmt.Errorf("%s: activation without payload", b.name)}
	}
	b.flow.succeeded(s)
	return act, nil
}

// Flow returns the state of the backend's flow control: its window, its
// pace and its Retry-After.
func (b *Backend) Flow() Flow { return b.flow.snapshot() }

// WatchWindow calls f with every change of the window of invocations in
// flight, its size or its maximum, until stop is called. f is called
// while the window is locked: it must be quick and must not invoke.
func (b *Backend) WatchWindow(f func(WindowChange)) (stop func()) {
	return b.flow.win.watch(f)
}

func (b *Backend) wrap(ctx context.Context, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	code := b.d.ErrorCode(err)
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		code = driver.Canceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code = driver.DeadlineExceeded
		}
	}
	return &Error{Code: code, Err: err}
}

// Close releases the backend. Calls after Close fail with ErrClosed.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.d.Close()
}

// Error is a classified backend error.
type Error struct {
	Code ErrorCode
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the driver's error.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the ErrorCode of err: the code of the first *Error in its
// chain, Canceled or DeadlineExceeded for context errors, OK for nil, and
// Unknown otherwise.
func Code(err error) ErrorCode {
	if err == nil {
		return driver.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	}
	return driver.Unknown
}
