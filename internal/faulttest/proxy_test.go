package faulttest

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// The primes job of the run on proxy containers: π(10⁷) over 150 tasks,
// with a concurrency limit that keeps the cold /inits of the deployed zip
// (seconds each) within the action's time limit on a small machine.
const (
	proxyPrimesTo     = 10_000_000
	proxyPrimesTasks  = 150
	proxyLimit        = 6
	proxyDemand       = 60
	proxyActionLimits = 20 * time.Second
)

// TestFaultsOnProxy runs the primes job under the fault mix on a sim whose
// containers are Apache's Go actionloop proxy running the deployed worker
// binary: crashes kill proxy containers, which cold start again with a
// real /init. The answer is exact and every task is done.
func TestFaultsOnProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker and the proxy")
	}
	ins, err := primes.Plan(proxyPrimesTo, proxyPrimesTasks)
	if err != nil {
		t.Fatal(err)
	}
	faults := faultMix
	faults.LostRate, faults.StragglerRate = 0.03, 0.08
	p := startPlatform(t, sim.Options{Mode: sim.ModeProxy, Proxy: owproxytest.Binary(t), Concurrency: proxyLimit, Faults: faults, Seed: 2})
	ex := p.deployedExecutor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := overcast.Map[primes.Input, primes.Output](ctx, ex, primes.TaskName, ins)
	outs, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for i, o := range outs {
		total += o.Count
		if want := primes.CountRange(ins[i].Lo, ins[i].Hi); o.Count != want {
			t.Errorf("task %d [%d, %d): %d primes, want %d", i, ins[i].Lo, ins[i].Hi, o.Count, want)
		}
	}
	if want := primes.Known[proxyPrimesTo]; total != want {
		t.Errorf("π(%d) = %d, want %d", proxyPrimesTo, total, want)
	}
	checkReport(t, f.Report())
	checkFaults(t, p.sim.Stats())
}

// deployedExecutor deploys the overcast worker to p as `overcast deploy`
// does (kind go:1.24) and returns an executor asking for proxyDemand in
// flight.
func (p *platform) deployedExecutor(tb testing.TB) *overcast.Executor {
	tb.Helper()
	home := tb.TempDir()
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	d, err := openwhisk.Open(context.Background(), &openwhisk.Options{Config: p.config(), Timeout: proxyActionLimits, Getenv: getenv,
		Kind: "go:1.24", ExecEnv: "openwhisk/action-golang-v1.24", GOARCH: runtime.GOARCH, Deploy: true,
		Worker: testbin.Bootstrap(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	b := backend.New("openwhisk", d)
	tb.Cleanup(func() { b.Close() })
	opts := faultOptions()
	opts.Concurrency = proxyDemand
	return overcast.NewExecutorFor(b, &opts)
}
