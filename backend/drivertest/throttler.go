package drivertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Throttler is a synthetic throttling platform in front of a real driver:
// it refuses every invocation that would put more than Limit in flight
// with a *Throttle error (code ResourceExhausted, a driver.ThrottleError)
// and passes the others to Inner. It records what it saw (Log), for
// RunThrottleTests.
type Throttler struct {
	// Inner runs the invocations the Throttler admits.
	Inner driver.Backend
	// Limit is the bound on invocations in flight.
	Limit int
	// Claimed is the capacity the driver claims; zero means four times
	// Limit, so that the backend's window starts too wide.
	Claimed int
	// ReportLimit makes throttles name Limit; RetryAfter is the
	// Retry-After they carry (zero for none).
	ReportLimit bool
	RetryAfter  time.Duration

	mu       sync.Mutex
	inflight int
	log      []Arrival
}

// Throttle is the Throttler's refusal.
type Throttle struct {
	InFlight, Allowed int
	Wait              time.Duration
}

func (e *Throttle) Error() string {
	return fmt.Sprintf("throttled: %d in flight, %d allowed", e.InFlight, e.Allowed)
}

// RetryAfter returns the Retry-After (driver.ThrottleError).
func (e *Throttle) RetryAfter() time.Duration { return e.Wait }

// Limit returns the named limit, zero when unnamed (driver.ThrottleError).
func (e *Throttle) Limit() int { return e.Allowed }

// Invoke admits inv when fewer than Limit are in flight and refuses it
// otherwise.
func (th *Throttler) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	now := time.Now()
	th.mu.Lock()
	a := Arrival{Index: inv.Index, Attempt: inv.Attempt, At: now, InFlight: th.inflight + 1}
	if th.inflight >= th.Limit {
		a.Throttled, a.RetryAfter, a.InFlight = true, th.RetryAfter, th.inflight
		th.log = append(th.log, a)
		th.mu.Unlock()
		e := &Throttle{InFlight: a.InFlight, Wait: th.RetryAfter}
		if th.ReportLimit {
			e.Allowed = th.Limit
		}
		return nil, e
	}
	th.inflight++
	th.log = append(th.log, a)
	th.mu.Unlock()
	defer func() {
		th.mu.Lock()
		th.inflight--
		th.mu.Unlock()
	}()
	return th.Inner.Invoke(ctx, inv)
}

// Log returns the arrivals so far, in order.
func (th *Throttler) Log() []Arrival {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]Arrival(nil), th.log...)
}

// Capacity returns Claimed, or four times Limit.
func (th *Throttler) Capacity() int {
	if th.Claimed > 0 {
		return th.Claimed
	}
	return 4 * th.Limit
}

// ErrorCode classifies a *Throttle as ResourceExhausted and defers the
// rest to Inner.
func (th *Throttler) ErrorCode(err error) driver.ErrorCode {
	var e *Throttle
	if errors.As(err, &e) {
		return driver.ResourceExhausted
	}
	return th.Inner.ErrorCode(err)
}

// Close closes Inner.
func (th *Throttler) Close() error { return th.Inner.Close() }

var _ driver.ThrottleError = (*Throttle)(nil)
