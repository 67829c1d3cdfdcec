package faulttest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A fault run must see the sim throttle invokes, which it does when the
// driver has more activations in flight than the sim's limit. How many
// are in flight at once depends on how fast this process invokes compared
// with how long activations last: on a loaded machine the sim can drain
// them as fast as they come, and never throttle. overflow makes the
// overflow certain without timing: the proxy lets the first invokes
// through together, and the run's tasks hold until the sim has answered
// one with a 429. The held first wave fills the sim, and the driver, whose
// window assumes OpenWhisk's default of 100, sends more.

// Bounds of the holds, reached only when the driver does not overflow the
// limit (the run then reports that the sim throttled nothing). A task's
// hold stays under the action's time limit.
const (
	maxWaveWait = 30 * time.Second
	maxHold     = actionTimeout / 2
)

// overflow arms the proxy's first wave and holds run's tasks until the
// sim first throttles.
func (p *platform) overflow(run string) {
	p.wave.arm(2 * simLimit)
	gateRun(run, p.throttled)
}

// wave holds invokes until size of them have arrived, then lets them
// through at once. The zero wave holds nothing.
type wave struct {
	mu      sync.Mutex
	size, n int
	full    chan struct{}
}

func (w *wave) arm(size int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.size, w.n, w.full = size, 0, make(chan struct{})
}

// join holds r if it is an invoke of the armed wave.
func (w *wave) join(r *http.Request) {
	if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, "/actions/") {
		return
	}
	w.mu.Lock()
	if w.n >= w.size {
		w.mu.Unlock()
		return
	}
	w.n++
	full := w.full
	if w.n == w.size {
		close(full)
	}
	w.mu.Unlock()
	wait(r.Context(), full, maxWaveWait)
}

var gates = struct {
	sync.Mutex
	m map[string]<-chan struct{}
}{m: map[string]<-chan struct{}{}}

// gateRun makes the tasks of run hold until open is closed.
func gateRun(run string, open <-chan struct{}) {
	gates.Lock()
	defer gates.Unlock()
	gates.m[run] = open
}

// hold waits until t's run is open.
func (t tag) hold(ctx context.Context) {
	gates.Lock()
	open := gates.m[t.Run]
	gates.Unlock()
	if open != nil {
		wait(ctx, open, maxHold)
	}
}

// wait waits until ch is closed, ctx is done or max has passed.
func wait(ctx context.Context, ch <-chan struct{}, max time.Duration) {
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}
