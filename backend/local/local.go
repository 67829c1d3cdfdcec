// Package local runs tasks on this machine with a bounded pool of
// goroutines. It is the default backend and needs no set-up. Each attempt's
// envelope is encoded, handed to worker.Handle and the answer decoded, just
// as a remote platform would see it, so local runs exercise the same path.
//
// Open it as "local" or "local://?workers=N" (default GOMAXPROCS workers).
// A task that ignores its context cannot be stopped; when its deadline
// passes, Invoke returns a DeadlineExceeded error and the worker goroutine
// stays busy until the task returns.
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
		default:
			return nil, fmt.Errorf("unknown setting %q (known: workers, encode)", k)
		}
	}
	if u.Host != "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("local takes no host or path, got %q", u.Host+u.Path)
	}
	return opts, nil
}

// Driver is the local backend's driver.
type Driver struct {
	workers int
	direct  bool
	calls   chan *call
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

type call struct {
	ctx   context.Context
	inv   *driver.Invocation
	out   []byte
	value *worker.ValueResponse
	done  chan struct{}
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// New starts a pool of workers.
func New(opts *Options) *Driver {
	if opts == nil {
		opts = &Options{}
	}
	n := runtime.GOMAXPROCS(0)
	if opts.Workers > 0 {
		n = opts.Workers
	}
	d := &Driver{workers: n, direct: opts.SkipEncoding, calls: make(chan *call), stop: make(chan struct{})}
	d.wg.Add(n)
	for range n {
		go d.work()
	}
	return d
}

func (d *Driver) work() {
	defer d.wg.Done()
	for {
		select {
		case c := <-d.calls:
			if c.inv.Payload != nil {
				c.out = worker.Handle(c.ctx, c.inv.Payload)
			} else {
				c.value = worker.RunValue(c.ctx, c.inv.Request, c.inv.Value, c.inv.Deadline)
			}
			c.done <- struct{}{}
		case <-d.stop:
			return
		}
	}
}

// Invoke runs inv on a pool worker.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	c := callPool.Get().(*call)
	c.ctx, c.inv = ctx, inv
	select {
	case d.calls <- c:
	case <-ctx.Done():
		callPool.Put(c)
		return nil, ctx.Err()
	case <-d.stop:
		callPool.Put(c)
		return nil, errClosed
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		// The worker still owns c; it is not returned to the pool.
		return nil, ctx.Err()
	}
	act := &driver.Activation{Payload: c.out, Value: c.value}
	*c = call{done: c.done}
	callPool.Put(c)
	return act, nil
}

var errClosed = errors.New("local backend closed")

// SkipEncoding reports whether the driver was asked to take Go values.
func (d *Driver) SkipEncoding() bool { return d.direct }

// Capacity returns the pool size.
func (d *Driver) Capacity() int { return d.workers }

// ErrorCode classifies errors: the local backend fails only by cancellation
// or deadline.
func (d *Driver) ErrorCode(err error) driver.ErrorCode {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	}
	return driver.Unknown
}

// Close stops idle workers; running tasks finish on their own.
func (d *Driver) Close() error {
	d.once.Do(func() { close(d.stop) })
	return nil
}
