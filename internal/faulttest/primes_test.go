package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// The primes job of the fault run: π(10⁸) over 200 tasks.
const (
	primesTo    = 100_000_000 / workScale
	primesTasks = 200
)

func TestFaultsPrimes(t *testing.T) {
	ins, err := primes.Plan(primesTo, primesTasks)
	if err != nil {
		t.Fatal(err)
	}
	run := newRun(len(ins))
	tagged := make([]primesIn, len(ins))
	for i, in := range ins {
		tagged[i] = primesIn{tag{run, i}, in}
	}
	// Fewer tasks than the pi job: a higher seeded share of stragglers and
	// lost activations makes sure every fault kind occurs.
	faults := faultMix
	faults.LostRate, faults.StragglerRate = 0.03, 0.08
	p := startPlatform(t, sim.Options{Concurrency: simLimit, ColdStart: coldStart, Faults: faults, Seed: 2})
	p.overflow(run)
	fin := newFinishes(len(ins))
	opts := faultOptions()
	opts.Reporter = fin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute*slack) // a hang, not a loaded machine
	defer cancel()
	f := overcast.Map[primesIn, primesOut](ctx, p.executor(t, opts), primesTask, tagged)
	outs, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	tags := make([]tag, len(outs))
	for i, o := range outs {
		total += o.Count
		tags[i] = o.tag
		if want := primes.CountRange(ins[i].Lo, ins[i].Hi); o.Count != want {
			t.Errorf("task %d [%d, %d): %d primes, want %d", i, ins[i].Lo, ins[i].Hi, o.Count, want)
		}
	}
	if want := primes.Known[primesTo]; total != want {
		t.Errorf("π(%d) = %d, want %d", primesTo, total, want)
	}
	rerun := checkOnce(t, run, len(ins), fin, tags)
	t.Logf("primes: π(%d) = %d; %d tasks ran more than once", primesTo, total, rerun)
	checkReport(t, f.Report())
	checkFaults(t, p.sim.Stats())
}
