// Package local runs tasks on this machine with a bounded pool of
// goroutines. It is the default backend and needs no set-up. Each attempt's
// envelope is encoded, handed to worker.Handle and the answer decoded, just
// as a remote platform would see it, so local runs exercise the same path.
//
// Open it as "local" or "local://?workers=N" (default GOMAXPROCS workers).
// "payload_limit=BYTES" makes it bound envelopes as a remote platform
// does, refusing bigger requests and failing bigger answers, so that
// payloads over a limit can be tried without one.
// Tasks should honor their context: a task that ignores it cannot be
// stopped. When its deadline passes, Invoke returns a DeadlineExceeded
// error and the task's slot stays busy until the task returns.
package local

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

func init() {
	backend.Register("local", func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		opts, err := parseURL(u)
		if err != nil {
			return nil, err
		}
		return New(opts), nil
	})
}

// Options configure the local backend. The zero value is sensible.
type Options struct {
	// Workers is the pool size; zero means GOMAXPROCS.
	Workers int
	// SkipEncoding hands tasks Go values instead of encoded envelopes:
	// faster for tiny tasks, but it no longer exercises the remote path.
	SkipEncoding bool
	// PayloadLimit bounds the encoded request and answer of an invocation
	// in bytes, as a remote platform does; zero means no bound.
	PayloadLimit int
}

func parseURL(u *url.URL) (*Options, error) {
	opts := &Options{}
	for k, v := range u.Query() {
		switch k {
		case "workers":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("workers must be a positive integer, got %q", v[0])
			}
			opts.Workers = n
		case "encode":
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				return nil, fmt.Errorf("encode must be true or false, got %q", v[0])
			}
			opts.SkipEncoding = !b
		case "payload_limit":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("payload_limit must be a positive number of bytes, got %q", v[0])
			}
			opts.PayloadLimit = n
		default:
			return nil, fmt.Errorf("unknown setting %q (known: workers, encode, payload_limit)", k)
		}
	}
	if opts.SkipEncoding && opts.PayloadLimit > 0 {
		return nil, fmt.Errorf("payload_limit bounds encoded envelopes: it needs encode=true")
	}
	if u.Host != "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("local takes no host or path, got %q", u.Host+u.Path)
	}
	return opts, nil
}

// Driver is the local backend's driver. A semaphore of Workers slots
// bounds the tasks running at once. An invocation without a deadline runs
// on the caller's goroutine (no hand-off: the cheapest path); one with a
// deadline runs on a goroutine of its own, so that Invoke can return when
// the deadline passes even if the task ignores its context.
type Driver struct {
	workers int
	direct  bool
	limit   int
	sem     chan struct{}
	stop    chan struct{}
	once    sync.Once
}

// New returns a local driver.
func New(opts *Options) *Driver {
	if opts == nil {
		opts = &Options{}
	}
	n := runtime.GOMAXPROCS(0)
	if opts.Workers > 0 {
		n = opts.Workers
	}
	return &Driver{workers: n, direct: opts.SkipEncoding, limit: opts.PayloadLimit, sem: make(chan struct{}, n), stop: make(chan struct{})}
}

// Invoke runs inv once a worker slot is free.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if d.limit > 0 && len(inv.Payload) > d.limit {
		return nil, &limitError{what: "request", size: len(inv.Payload), limit: d.limit}
	}
	act, err := d.invoke(ctx, inv)
	if err == nil && d.limit > 0 && len(act.Payload) > d.limit {
		return nil, &limitError{what: "answer", size: len(act.Payload), limit: d.limit}
	}
	return act, err
}

func (d *Driver) invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-d.stop:
		return nil, errClosed
	}
	if inv.Deadline.IsZero() {
		defer func() { <-d.sem }()
		return run(ctx, inv), nil
	}
	done := make(chan *driver.Activation, 1)
	go func() {
		defer func() { <-d.sem }()
		done <- run(ctx, inv)
	}()
	select {
	case act := <-done:
		return act, nil
	case <-ctx.Done():
		// The task goes on until it returns; its slot stays taken.
		return nil, ctx.Err()
	}
}

func run(ctx context.Context, inv *driver.Invocation) *driver.Activation {
	if inv.Payload != nil {
		return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}
	}
	return &driver.Activation{Value: worker.RunValue(ctx, inv.Request, inv.Value, inv.Deadline)}
}

var errClosed = errors.New("local backend closed")

// limitError is an envelope over the payload limit.
type limitError struct {
	what        string
	size, limit int
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s of %d bytes over the local backend's payload_limit of %d", e.what, e.size, e.limit)
}

// PayloadLimit returns the payload_limit setting; zero means none.
func (d *Driver) PayloadLimit() int { return d.limit }

// SkipEncoding reports whether the driver was asked to take Go values.
func (d *Driver) SkipEncoding() bool { return d.direct }

// Capacity returns the pool size.
func (d *Driver) Capacity() int { return d.workers }

// ErrorCode classifies errors: the local backend fails by cancellation, by
// deadline, and by an envelope over its payload_limit.
func (d *Driver) ErrorCode(err error) driver.ErrorCode {
	var le *limitError
	switch {
	case errors.As(err, &le) && le.what == "request":
		return driver.InvalidArgument
	case errors.As(err, &le):
		return driver.TaskFailed
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	}
	return driver.Unknown
}

// Close makes later invocations fail; running tasks finish on their own.
func (d *Driver) Close() error {
	d.once.Do(func() { close(d.stop) })
	return nil
}
