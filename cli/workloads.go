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

func init() {
	workloads = append(workloads, piWorkload, primesWorkload)
}

var piWorkload = &workload{
	name:    "pi",
	short:   "Estimate π by Monte Carlo sampling",
	example: "  overcast run pi --samples 1e10 --tasks 1000",
	flags: func(fs *pflag.FlagSet) (startFunc, sizer) {
		var samples, seed uint64
		var tasks int
		fs.Var(positive(&samples, 1e9), "samples", "total samples, e.g. 1e10")
		fs.Var(positive(&tasks, 100), "tasks", "number of tasks, e.g. 1e3")
		fs.Var(newCount(&seed, 1), "seed", "job seed: the same seed gives the same answer")
		size := func() (time.Duration, int) { return sizePi(samples, tasks) }
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			if err := preflight(ex, tasks); err != nil {
				return nil, err
			}
			if _, err := pi.Plan(samples, tasks, seed); err != nil {
				return nil, &usageError{err}
			}
			res, rep, err := pi.Run(ctx, ex, samples, tasks, seed)
			if rep == nil {
				return nil, err
			}
			o := &outcome{
				answer: res.Estimate, report: rep, err: err,
				summary: fmt.Sprintf("pi ≈ %.10f (error %+.2e; standard error %.1e)", res.Estimate, res.Error(), res.StdErr),
				// res counts the samples of finished tasks only.
				work: float64(res.Samples), unit: "samples",
				details: map[string]any{"samples": res.Samples, "inside": res.Inside, "std_err": res.StdErr, "seed": seed},
			}
			if err != nil {
				o.summary = fmt.Sprintf("pi ≈ %.10f from %d of %d samples (standard error %.1e; not checked: partial)",
					res.Estimate, res.Samples, samples, res.StdErr)
				return o, nil
			}
			o.check = &check{Expected: math.Pi, Error: res.Error(), OK: math.Abs(res.Error()) <= 6*res.StdErr}
			return o, nil
		}, size
	},
}

var primesWorkload = &workload{
	name:    "primes",
	short:   "Count the primes up to N with a segmented sieve",
	example: "  overcast run primes --to 1e10 --tasks 200",
	flags: func(fs *pflag.FlagSet) (startFunc, sizer) {
		var to uint64
		var tasks int
		fs.Var(positive(&to, 1e9), "to", "count primes p <= N, e.g. 1e10")
		fs.Var(positive(&tasks, 200), "tasks", "number of tasks, e.g. 1e3")
		size := func() (time.Duration, int) { return sizePrimes(to, tasks) }
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			if err := preflight(ex, tasks); err != nil {
				return nil, err
			}
			if _, err := primes.Plan(to, tasks); err != nil {
				return nil, &usageError{err}
			}
			n, rep, err := primes.Run(ctx, ex, to, tasks)
			if rep == nil {
				return nil, err
			}
			o := &outcome{
				answer: n, report: rep, err: err,
				summary: fmt.Sprintf("primes up to %d: %d", to, n),
				work:    doneWork(rep, rangeSize(to+1, tasks)), unit: "numbers",
				details: map[string]any{"to": to},
			}
			if err != nil {
				o.summary = fmt.Sprintf("primes up to %d: %d in the finished ranges (%.3g of %d numbers; not checked: partial)",
					to, n, o.work, to+1)
				return o, nil
			}
			if want, ok := primes.Known[to]; ok {
				o.check = &check{Expected: float64(want), Error: float64(n) - float64(want), OK: n == want}
				if n == want {
					o.summary += fmt.Sprintf(" (matches the known π(%d))", to)
				} else {
					o.summary += fmt.Sprintf(" (WRONG: the known π(%d) is %d)", to, want)
				}
			}
			return o, nil
		}, size
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
