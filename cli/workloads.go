package cli

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/pi"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// builtinJobs are the workloads of every overcast command line, in the
// order run and tasks list them.
func builtinJobs() []*Job {
	return []*Job{transferJob, wordcountJob, piJob, primesJob, sortJob, mandelbrotJob}
}

var piJob = &Job{
	Name:    "pi",
	Short:   "Estimate π by Monte Carlo sampling",
	Example: "  overcast run pi --samples 1e10 --tasks 1000",
	Setup: func(fs *pflag.FlagSet) Plan {
		var samples, seed uint64
		var tasks int
		fs.Var(Positive(&samples, 1e9), "samples", "total samples, e.g. 1e10")
		fs.Var(Positive(&tasks, 100), "tasks", "number of tasks, e.g. 1e3")
		fs.Var(Count(&seed, 1), "seed", "job seed: the same seed gives the same answer")
		size := func() (time.Duration, int) { return sizePi(samples, tasks) }
		return Plan{Size: size, Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			if _, err := pi.Plan(samples, tasks, seed); err != nil {
				return nil, Usage(err)
			}
			res, rep, err := pi.Run(ctx, ex, samples, tasks, seed)
			if rep == nil {
				return nil, err
			}
			r := &Result{
				Answer: res.Estimate, Report: rep,
				Summary: fmt.Sprintf("pi ≈ %.10f (error %+.2e; standard error %.1e)", res.Estimate, res.Error(), res.StdErr),
				// res counts the samples of finished tasks only.
				Work: float64(res.Samples), Unit: "samples",
				Details: map[string]any{"samples": res.Samples, "inside": res.Inside, "std_err": res.StdErr, "seed": seed},
			}
			if err != nil {
				r.Summary = fmt.Sprintf("pi ≈ %.10f from %d of %d samples (standard error %.1e; not checked: partial)",
					res.Estimate, res.Samples, samples, res.StdErr)
				return r, err
			}
			r.Check = Within(res.Estimate, math.Pi, 6*res.StdErr)
			return r, nil
		}}
	},
}

var primesJob = &Job{
	Name:    "primes",
	Short:   "Count the primes up to N with a segmented sieve",
	Example: "  overcast run primes --to 1e10 --tasks 200",
	Setup: func(fs *pflag.FlagSet) Plan {
		var to uint64
		var tasks int
		fs.Var(Positive(&to, 1e9), "to", "count primes p <= N, e.g. 1e10")
		fs.Var(Positive(&tasks, 200), "tasks", "number of tasks, e.g. 1e3")
		size := func() (time.Duration, int) { return sizePrimes(to, tasks) }
		return Plan{Size: size, Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			if _, err := primes.Plan(to, tasks); err != nil {
				return nil, Usage(err)
			}
			n, rep, err := primes.Run(ctx, ex, to, tasks)
			if rep == nil {
				return nil, err
			}
			r := &Result{
				Answer: n, Report: rep,
				Summary: fmt.Sprintf("primes up to %d: %d", to, n),
				Work:    doneWork(rep, rangeSize(to+1, tasks)), Unit: "numbers",
				Details: map[string]any{"to": to},
			}
			if err != nil {
				r.Summary = fmt.Sprintf("primes up to %d: %d in the finished ranges (%.3g of %d numbers; not checked: partial)",
					to, n, r.Work, to+1)
				return r, err
			}
			if want, ok := primes.Known[to]; ok {
				r.Check = Equal(n, want)
				if n == want {
					r.Summary += fmt.Sprintf(" (matches the known π(%d))", to)
				} else {
					r.Summary += fmt.Sprintf(" (WRONG: the known π(%d) is %d)", to, want)
				}
			}
			return r, nil
		}}
	},
}

// doneWork sums the work of the tasks that finished: size(i) is task i's.
// Rates come from it, never from the work the job was asked to do.
func doneWork(rep *overcast.Report, size func(i int) float64) float64 {
	var w float64
	for i := range rep.Records.Len() {
		if rep.Records.State(i) == overcast.Done {
			w += size(i)
		}
	}
	return w
}

// rangeSize returns the size of task i's range when primes.Plan splits n
// numbers over tasks tasks.
func rangeSize(n uint64, tasks int) func(i int) float64 {
	per, extra := n/uint64(tasks), n%uint64(tasks)
	return func(i int) float64 {
		if uint64(i) < extra {
			return float64(per + 1)
		}
		return float64(per)
	}
}
