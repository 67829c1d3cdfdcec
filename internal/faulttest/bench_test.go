package faulttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/workloads/pi"
)

const sleepTask = "faulttest/sleep"

func init() {
	overcast.Register(sleepTask, func(ctx context.Context, ms int) (int, error) {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return ms, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
}

// benchJob is a job of the benchmark: n tasks, each a Map of task over
// its inputs.
type benchJob struct {
	name string
	run  func(ctx context.Context, ex *overcast.Executor) (*overcast.Report, error)
}

var benchJobs = []benchJob{
	// The job of TestFaultsPi: tasks of about a millisecond, which the
	// sim's stragglers stretch to 1.9 s (it slows at least 100 ms 20-fold).
	{"pi-2000", func(ctx context.Context, ex *overcast.Executor) (*overcast.Report, error) {
		_, rep, err := pi.Run(ctx, ex, piSamples, piTasks, piSeed)
		return rep, err
	}},
	// 2,000 tasks of 100 ms that take no CPU: a straggler is exactly 20
	// times slower.
	{"sleep100ms-2000", func(ctx context.Context, ex *overcast.Executor) (*overcast.Report, error) {
		ins := make([]int, 2000)
		for i := range ins {
			ins[i] = 100
		}
		f := overcast.Map[int, int](ctx, ex, sleepTask, ins)
		_, err := f.Wait(ctx)
		return f.Report(), err
	}},
}

// benchVariant is a platform and executor setting.
type benchVariant struct {
	name string
	// limit is the sim's concurrency limit, demand the executor's. The
	// proxy hides the limit, so the driver's window starts at OpenWhisk's
	// default of 100 and stays there when the sim never throttles.
	limit, demand int
	set           func(*overcast.Options)
}

var benchVariants = []benchVariant{
	{"limit40/defaults", simLimit, demand, func(*overcast.Options) {}},
	{"limit40/backoff-20ms", simLimit, demand, func(o *overcast.Options) { o.BackoffBase, o.BackoffMax = 20*time.Millisecond, time.Second }},
	{"limit40/spec-after-0.5-factor-2", simLimit, demand, func(o *overcast.Options) { o.Speculation.After, o.Speculation.Factor = 0.5, 2 }},
	{"limit1000/window100/demand1000/defaults", 1000, 1000, func(*overcast.Options) {}},
	{"limit1000/window100/demand1000/spec-after-0.5-factor-2", 1000, 1000, func(o *overcast.Options) { o.Speculation.After, o.Speculation.Factor = 0.5, 2 }},
}

// BenchmarkFaultMakespan runs each job on the same sim settings without
// faults and with the fault mix, back to back in each iteration,
// and reports the fault run's makespan over the fault-free one (target:
// at most 1.5). The variants try platform limits and executor settings.
func BenchmarkFaultMakespan(b *testing.B) {
	for _, job := range benchJobs {
		for _, v := range benchVariants {
			b.Run(job.name+"/"+v.name, func(b *testing.B) {
				opts := overcast.Options{MaxAttempts: 12, Concurrency: v.demand} // see faultOptions
				v.set(&opts)
				var clean, faulty time.Duration
				for range b.N {
					clean += makespan(b, job, v.limit, sim.Faults{}, opts)
					faulty += makespan(b, job, v.limit, faultMix, opts)
				}
				b.ReportMetric(faulty.Seconds()/clean.Seconds(), "fault/clean")
				b.ReportMetric(clean.Seconds()/float64(b.N), "clean-s")
				b.ReportMetric(faulty.Seconds()/float64(b.N), "fault-s")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// makespan runs job on a fresh sim and returns its wall time.
func makespan(b *testing.B, job benchJob, limit int, faults sim.Faults, opts overcast.Options) time.Duration {
	b.Helper()
	p := startPlatform(b, sim.Options{Concurrency: limit, ColdStart: coldStart, Faults: faults, Seed: 1})
	ex := p.executor(b, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := job.run(ctx, ex)
	if err != nil {
		b.Fatal(err)
	}
	if dir := os.Getenv("FAULT_TIMELINES"); dir != "" { // to see where a run's time went
		name := strings.NewReplacer("/", "_").Replace(b.Name()) + fmt.Sprintf("-faults%v.png", faults != sim.Faults{})
		if err := report.Timeline(rep, filepath.Join(dir, name)); err != nil {
			b.Log(err)
		}
	}
	return rep.Wall()
}
