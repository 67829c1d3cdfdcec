package cli

import (
	"context"
	"fmt"
	"math"

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
	flags: func(fs *pflag.FlagSet) func(context.Context, *overcast.Executor) (*outcome, error) {
		var samples, seed uint64
		var tasks int
		fs.Var(positive(&samples, 1e9), "samples", "total samples, e.g. 1e10")
		fs.Var(positive(&tasks, 100), "tasks", "number of tasks, e.g. 1e3")
		fs.Var(newCount(&seed, 1), "seed", "job seed: the same seed gives the same answer")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			if _, err := pi.Plan(samples, tasks, seed); err != nil {
				return nil, &usageError{err}
			}
			res, rep, err := pi.Run(ctx, ex, samples, tasks, seed)
			if rep == nil {
				return nil, err
			}
			return &outcome{
				answer: res.Estimate, report: rep, err: err,
				summary: fmt.Sprintf("pi ≈ %.10f (error %+.2e; standard error %.1e)", res.Estimate, res.Error(), res.StdErr),
				check:   &check{Expected: math.Pi, Error: res.Error(), OK: math.Abs(res.Error()) <= 6*res.StdErr},
				work:    float64(res.Samples), unit: "samples",
				details: map[string]any{"samples": res.Samples, "inside": res.Inside, "std_err": res.StdErr, "seed": seed},
			}, nil
		}
	},
}

var primesWorkload = &workload{
	name:    "primes",
	short:   "Count the primes up to N with a segmented sieve",
	example: "  overcast run primes --to 1e10 --tasks 200",
	flags: func(fs *pflag.FlagSet) func(context.Context, *overcast.Executor) (*outcome, error) {
		var to uint64
		var tasks int
		fs.Var(positive(&to, 1e9), "to", "count primes p <= N, e.g. 1e10")
		fs.Var(positive(&tasks, 200), "tasks", "number of tasks, e.g. 1e3")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
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
				work:    float64(to), unit: "numbers",
				details: map[string]any{"to": to},
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
		}
	},
}
