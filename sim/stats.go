package sim

import "sync/atomic"

// Stats counts what a Server did since it started.
type Stats struct {
	// Invocations counts accepted invokes: activations created, lost ones
	// included.
	Invocations int64
	// Throttled counts invokes answered 429.
	Throttled int64
	// ColdStarts counts containers started.
	ColdStarts int64
	// Activations counts activation records stored.
	Activations int64
	// Crashes counts injected crashes.
	Crashes int64
	// ServerErrors counts injected 5xx answers.
	ServerErrors int64
	// Lost counts activations whose record was dropped on purpose.
	Lost int64
	// Stragglers counts activations slowed down on purpose.
	Stragglers int64
	// Timeouts counts activations that hit their time limit.
	Timeouts int64
	// Running is the number of activations in flight now; MaxRunning the
	// most there have been at once.
	Running    int64
	MaxRunning int64
	// ActionPuts counts actions stored: created or replaced by a PUT.
	ActionPuts int64
}

type counters struct {
	invocations, throttled, coldStarts, activations atomic.Int64
	crashes, serverErrors, lost, stragglers         atomic.Int64
	timeouts, running, maxRunning                   atomic.Int64
	actionPuts                                      atomic.Int64
}

func (c *counters) start() {
	n := c.running.Add(1)
	for {
		m := c.maxRunning.Load()
		if n <= m || c.maxRunning.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		Invocations:  c.invocations.Load(),
		Throttled:    c.throttled.Load(),
		ColdStarts:   c.coldStarts.Load(),
		Activations:  c.activations.Load(),
		Crashes:      c.crashes.Load(),
		ServerErrors: c.serverErrors.Load(),
		Lost:         c.lost.Load(),
		Stragglers:   c.stragglers.Load(),
		Timeouts:     c.timeouts.Load(),
		Running:      c.running.Load(),
		MaxRunning:   c.maxRunning.Load(),
		ActionPuts:   c.actionPuts.Load(),
	}
}
