package drivertest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
)

// ThrottleHarness opens a backend whose platform throttles: it refuses
// (HTTP 429 or its like, code ResourceExhausted) the invocations that
// would put more than Limit in flight.
type ThrottleHarness struct {
	// Open returns a fresh backend on the throttling platform; the suite
	// closes it. Its capacity must exceed Limit, so that the window starts
	// too wide and must learn.
	Open func(ctx context.Context, t *testing.T) (*backend.Backend, error)
	// Limit is the platform's bound on invocations in flight.
	Limit int
	// ReportsLimit says the platform names Limit in its throttles
	// (driver.ThrottleError's Limit): the window then never grows past it.
	ReportsLimit bool
	// Tasks is the job's task count; zero means 200.
	Tasks int
	// SleepMS is how long each task sleeps; zero means 20.
	SleepMS int
	// Log, when set, returns what the platform saw, in arrival order. The
	// suite then checks that no attempt sent after a throttle with a
	// Retry-After reached the scheduler arrived before that Retry-After
	// ended, and that the platform sent at least one Retry-After when
	// RetryAfter is set.
	Log        func() []Arrival
	RetryAfter bool
}

// Arrival is one attempt as the platform saw it.
type Arrival struct {
	// Index and Attempt identify the attempt (from its envelope).
	Index, Attempt int
	// At is when it arrived.
	At time.Time
	// InFlight counts the attempts the platform was running when it
	// arrived, itself included when it was admitted.
	InFlight int
	// Throttled says the platform refused it; RetryAfter is the
	// Retry-After it answered with (zero for none).
	Throttled  bool
	RetryAfter time.Duration
}

// RunThrottleTests runs a job whose scheduler asks for four times the
// platform's limit in flight and checks that every task finishes with its
// output, that the backend's window converges (throttles stay few: a
// window that did not adapt would see three of every four attempts
// refused), that a named limit caps the window, and that Retry-After is
// honoured. It asserts on counts and on the order of timestamps, never on
// durations.
func RunThrottleTests(t *testing.T, h ThrottleHarness) {
	if h.Limit <= 0 {
		t.Fatal("ThrottleHarness.Limit must be positive")
	}
	if h.Tasks == 0 {
		h.Tasks = 200
	}
	if h.SleepMS == 0 {
		h.SleepMS = 20
	}
	b, err := h.Open(context.Background(), t)
	if err != nil {
		t.Fatalf("open backend: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	if c := b.Capacity(); c <= h.Limit {
		t.Fatalf("backend capacity %d is not above the platform's limit %d: nothing to learn", c, h.Limit)
	}
	var ev events
	ex := overcast.NewExecutorFor(b, &overcast.Options{Concurrency: 4 * h.Limit, Reporter: &ev,
		BackoffBase: 5 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Speculation: overcast.Speculation{Disable: true}})
	ins := inputs(h.Tasks)
	for i := range ins {
		ins[i].SleepMS = h.SleepMS
	}
	outs, err := run(t, ex, selftest.Echo, ins)
	if err != nil {
		t.Fatalf("the job failed: %v; throttling must never fail a job", err)
	}
	for i, o := range outs {
		if o.N != i*7 {
			t.Fatalf("output %d = %+v, want n=%d", i, o, i*7)
		}
	}
	checkConvergence(t, &h, b, ev.throttles())
	if h.Log != nil {
		checkRetryAfter(t, &h, &ev, h.Log())
	}
}

// checkConvergence checks the count of throttles and the window after the
// job.
func checkConvergence(t *testing.T, h *ThrottleHarness, b *backend.Backend, throttles int) {
	t.Helper()
	if throttles == 0 {
		t.Fatalf("the platform throttled nothing with %d in flight asked and a limit of %d: the test checks nothing", 4*h.Limit, h.Limit)
	}
	// The first round sends up to four times the limit: three quarters of
	// it may be refused before the first refusal narrows the window. Past
	// it, a window that finds an unnamed limit overshoots it about once per
	// limit's worth of successes; one that did not adapt would keep
	// sending four times the limit (more throttles than tasks).
	bound := h.Tasks/4 + 4*h.Limit
	if h.ReportsLimit {
		bound = 4*h.Limit + h.Tasks/10
	}
	if throttles > bound {
		t.Errorf("%d throttles for %d tasks with a limit of %d: the window did not converge (want at most %d)", throttles, h.Tasks, h.Limit, bound)
	}
	fl := b.Flow()
	if h.ReportsLimit && (fl.MaxWindow > h.Limit || fl.Window > h.Limit) {
		t.Errorf("window %d (max %d) after throttles naming the limit %d, want at most the limit", fl.Window, fl.MaxWindow, h.Limit)
	}
	t.Logf("%d tasks, limit %d: %d throttles; window %d of %d", h.Tasks, h.Limit, throttles, fl.Window, fl.MaxWindow)
}

// checkRetryAfter checks that every attempt the scheduler started after it
// learned of a throttle with a Retry-After arrived at the platform when
// that Retry-After had ended.
func checkRetryAfter(t *testing.T, h *ThrottleHarness, ev *events, log []Arrival) {
	t.Helper()
	arrived := make(map[[2]int]time.Time, len(log))
	for _, a := range log {
		arrived[[2]int{a.Index, a.Attempt}] = a.At
	}
	started, learned := ev.times()
	hints, checked := 0, 0
	for _, a := range log {
		if !a.Throttled || a.RetryAfter <= 0 {
			continue
		}
		hints++
		known, ok := learned[[2]int{a.Index, a.Attempt}]
		if !ok {
			t.Errorf("the scheduler never learned of the throttle of task %d attempt %d", a.Index, a.Attempt)
			continue
		}
		end := a.At.Add(a.RetryAfter)
		for k, s := range started {
			at, ok := arrived[k]
			if !ok || !s.After(known) {
				continue
			}
			checked++
			if at.Before(end) {
				t.Errorf("task %d attempt %d started %v after the scheduler learned of a throttle asking to retry after %v, and arrived %v before it ended",
					k[0], k[1], s.Sub(known), a.RetryAfter, end.Sub(at))
			}
		}
	}
	if h.RetryAfter && hints == 0 {
		t.Errorf("the platform sent no Retry-After in %d arrivals", len(log))
	}
	t.Logf("%d throttles with a Retry-After; %d later attempts checked against them", hints, checked)
}

// events keeps when attempts started and when throttles were learned.
type events struct {
	mu      sync.Mutex
	started map[[2]int]time.Time
	learned map[[2]int]time.Time
}

// Report records Started and throttled Retried events.
func (e *events) Report(ev overcast.Event) {
	k := [2]int{ev.Index, ev.Attempt}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started == nil {
		e.started, e.learned = map[[2]int]time.Time{}, map[[2]int]time.Time{}
	}
	switch {
	case ev.Kind == overcast.Started:
		e.started[k] = ev.Time
	case ev.Kind == overcast.Retried && ev.Code == backend.ResourceExhausted:
		e.learned[k] = ev.Time
	}
}

func (e *events) throttles() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.learned)
}

func (e *events) times() (started, learned map[[2]int]time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started, e.learned
}

// String describes an arrival, for test logs.
func (a Arrival) String() string {
	s := fmt.Sprintf("task %d attempt %d at %s, %d in flight", a.Index, a.Attempt, a.At.Format("15:04:05.000000"), a.InFlight)
	if a.Throttled {
		s += fmt.Sprintf(", throttled (Retry-After %v)", a.RetryAfter)
	}
	return s
}
