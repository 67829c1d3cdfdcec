package sim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// draw is the fault decision for one invocation.
type draw struct {
	serverError int // 0, or the 5xx status to answer
	crash       bool
	straggler   bool
	lost        bool
}

// faultGen draws faults from one seeded generator; it is safe for
// concurrent use. Every invocation consumes the same number of values, so
// a sequence of invocations gets the same faults for the same seed.
type faultGen struct {
	f  Faults
	mu sync.Mutex
	r  *rand.Rand
}

func newFaultGen(f Faults, seed int64) *faultGen {
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	return &faultGen{f: f, r: rand.New(rand.NewPCG(uint64(seed), 0x6f7665726361)) /* "overca" */}
}

func (g *faultGen) active() bool {
	f := g.f
	return f.CrashRate > 0 || f.ServerErrorRate > 0 || f.StragglerRate > 0 || f.LostRate > 0
}

// next draws the faults of one invocation.
func (g *faultGen) next() draw {
	if !g.active() {
		return draw{}
	}
	g.mu.Lock()
	u := [5]float64{g.r.Float64(), g.r.Float64(), g.r.Float64(), g.r.Float64(), g.r.Float64()}
	g.mu.Unlock()
	var d draw
	if u[0] < g.f.ServerErrorRate {
		d.serverError = [3]int{503, 500, 502}[int(u[4]*3)%3]
	}
	d.crash = u[1] < g.f.CrashRate
	d.straggler = u[2] < g.f.StragglerRate
	d.lost = u[3] < g.f.LostRate
	return d
}

// stragglerExtra is the extra time a straggler that ran for d sleeps.
func stragglerExtra(d time.Duration, slowdown float64) time.Duration {
	d = max(d, 100*time.Millisecond)
	return time.Duration(float64(d) * (slowdown - 1))
}
