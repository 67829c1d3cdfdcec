package pi_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// handLoop is what a user would write without Overcast: one goroutine per
// core, each counting its share with the same kernel.
func handLoop(samples uint64, seed uint64) uint64 {
	n := runtime.GOMAXPROCS(0)
	per := samples / uint64(n)
	var mu sync.Mutex
	var total uint64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, _ := pi.Count(per, pi.TaskSeed(seed, i))
			mu.Lock()
			total += in
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total
}

// BenchmarkLocalVsHandLoop measures, in one run, pi on the local backend
// (1,000 tasks, envelopes encoded) against the hand-written all-cores loop
// over the same number of samples, and reports their throughput ratio.
func BenchmarkLocalVsHandLoop(b *testing.B) {
	const samples = 4e9
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	var loop, local time.Duration
	runLocal := func() {
		t0 := time.Now()
		if _, _, err := pi.Run(ctx, ex, samples, 1000, 1); err != nil {
			b.Fatal(err)
		}
		local += time.Since(t0)
	}
	runLoop := func() {
		t0 := time.Now()
		handLoop(samples, 1)
		loop += time.Since(t0)
	}
	for i := 0; b.Loop(); i++ { // alternate the order, so neither always runs first
		if i%2 == 0 {
			runLocal()
			runLoop()
		} else {
			runLoop()
			runLocal()
		}
	}
	n := float64(b.N) * samples
	b.ReportMetric(n/loop.Seconds(), "loop-samples/s")
	b.ReportMetric(n/local.Seconds(), "overcast-samples/s")
	b.ReportMetric(loop.Seconds()/local.Seconds(), "ratio")
}

func TestRunIsReproducible(t *testing.T) {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", &overcast.Options{Concurrency: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	a, _, err := pi.Run(ctx, ex, 1e7, 50, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := pi.Run(ctx, ex, 1e7, 50, 42)
	c, _, _ := pi.Run(ctx, ex, 1e7, 50, 43)
	if a.Inside != b.Inside || a.Samples != 1e7 {
		t.Fatalf("same seed, different answers: %+v vs %+v", a, b)
	}
	if a.Inside == c.Inside {
		t.Fatalf("different seeds gave the same count %d", a.Inside)
	}
}
