package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// The pi job of the fault runs.
const (
	piTasks   = 2000
	piSamples = 200_000_000 / workScale
	piSeed    = 42
)

// faultOptions are the executor settings of the fault runs: more attempts
// than the default 5, since with about 16% of attempts failing a job of
// 2,000 tasks would otherwise lose a task in one run of five (2000 ×
// 0.16^5 ≈ 0.2).
func faultOptions() overcast.Options {
	return overcast.Options{MaxAttempts: 12, BackoffBase: 20 * time.Millisecond, BackoffMax: time.Second}
}

// localPi runs the pi plan on the local backend: the fault-free answer,
// task by task.
func localPi(t testing.TB) []pi.Output {
	t.Helper()
	ins, err := pi.Plan(piSamples, piTasks, piSeed)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := overcast.NewExecutor(context.Background(), "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	outs, err := overcast.Map[pi.Input, pi.Output](context.Background(), ex, pi.TaskName, ins).Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// runPi runs the pi plan as tagged tasks on ex, first overflowing p's
// limit (see overflow), and returns the run's tag, the outputs and the
// report.
func runPi(t testing.TB, p *platform, ex *overcast.Executor) (string, []piOut, *overcast.Report) {
	t.Helper()
	ins, err := pi.Plan(piSamples, piTasks, piSeed)
	if err != nil {
		t.Fatal(err)
	}
	run := newRun(len(ins))
	p.overflow(run)
	tagged := make([]piIn, len(ins))
	for i, in := range ins {
		tagged[i] = piIn{tag{run, i}, in}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute*slack) // a hang, not a loaded machine
	defer cancel()
	f := overcast.Map[piIn, piOut](ctx, ex, piTask, tagged)
	outs, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return run, outs, f.Report()
}

func TestFaultsPi(t *testing.T) {
	want := localPi(t)
	p := startPlatform(t, sim.Options{Concurrency: simLimit, ColdStart: coldStart, Faults: faultMix, Seed: 1})
	fin := newFinishes(piTasks)
	opts := faultOptions()
	opts.Reporter = fin
	run, outs, rep := runPi(t, p, p.executor(t, opts))

	var inside, wantInside, samples uint64
	tags := make([]tag, len(outs))
	for i, o := range outs {
		tags[i] = o.tag
		inside, wantInside, samples = inside+o.Inside, wantInside+want[i].Inside, samples+o.Samples
		if o.Output != want[i] {
			t.Errorf("task %d: %+v, want the fault-free %+v", i, o.Output, want[i])
		}
	}
	if inside != wantInside || samples != piSamples {
		t.Errorf("inside %d of %d samples, want %d of %d", inside, samples, wantInside, uint64(piSamples))
	}
	rerun := checkOnce(t, run, piTasks, fin, tags)
	t.Logf("pi: inside %d of %d samples (estimate %.8f); %d tasks ran more than once", inside, samples, pi.Combine(want).Estimate, rerun)
	checkReport(t, rep)
	checkFaults(t, p.sim.Stats())
}
