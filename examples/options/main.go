// Command options prices a European call option by Monte Carlo simulation
// of geometric Brownian motion, as many parallel tasks, and checks the
// price against the Black–Scholes closed form within the simulation's own
// standard error. Its binary is a full overcast command line and worker:
//
//	go build -o options ./examples/options
//	./options run options --paths 1e7 --tasks 100 --json
//	./options run options --backend openwhisk --paths 1e8 --tasks 200
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/cli"
)

func init() { overcast.Register(taskName, Simulate) }

func main() { cli.Main(cli.WithJobs(optionsJob)) }

var optionsJob = &cli.Job{
	Name:    "options",
	Short:   "Price a European call by Monte Carlo, checked against Black–Scholes",
	Example: "  options run options --paths 1e8 --tasks 200 --vol 0.3 --json",
	Setup: func(fs *pflag.FlagSet) cli.Plan {
		m := Market{Spot: 100, Strike: 100, Rate: 0.05, Vol: 0.2, Years: 1}
		var paths, seed uint64
		var tasks int
		fs.Float64Var(&m.Spot, "spot", m.Spot, "the underlying's price today")
		fs.Float64Var(&m.Strike, "strike", m.Strike, "the option's strike price")
		fs.Float64Var(&m.Rate, "rate", m.Rate, "the risk-free rate, continuously compounded, a year")
		fs.Float64Var(&m.Vol, "vol", m.Vol, "the underlying's volatility, a year")
		fs.Float64Var(&m.Years, "years", m.Years, "time to expiry in years")
		fs.Var(cli.Positive(&paths, 1e6), "paths", "antithetic pairs of paths to simulate in all, e.g. 1e8")
		fs.Var(cli.Positive(&tasks, 20), "tasks", "number of tasks, each simulating its share of the paths with its own seed")
		fs.Var(cli.Count(&seed, 1), "seed", "job seed: the same seed gives the same price")
		size := func() (time.Duration, int) { return timePaths(m, paths), tasks }
		return cli.Plan{Size: size, Run: func(ctx context.Context, ex *overcast.Executor) (*cli.Result, error) {
			ins, err := plan(m, paths, tasks, seed)
			if err != nil {
				return nil, cli.Usage(err)
			}
			f := overcast.Map[Input, Sums](ctx, ex, taskName, ins)
			outs, err := f.Wait(context.WithoutCancel(ctx))
			est := combine(m, outs)
			bs := BlackScholes(m)
			return &cli.Result{
				Answer: est.Price, Report: f.Report(),
				Summary: fmt.Sprintf("call ≈ %.6f ± %.1e (standard error, %d paths); Black–Scholes %.6f",
					est.Price, est.StdErr, est.Paths, bs),
				Check: checkPrice(est, bs),
				Work:  float64(est.Paths), Unit: "paths",
				Details: map[string]any{"black_scholes": bs, "std_err": est.StdErr, "paths": est.Paths,
					"seed": seed, "market": m},
			}, err
		}}
	},
}

// checkPrice passes when the Monte Carlo price is within 4 of its standard
// errors of the closed form, and that bound is tight enough to tell a
// wrong price from a right one: under 5% of the price.
func checkPrice(est Estimate, bs float64) *cli.Check {
	tol := 4 * est.StdErr
	if !(tol < 0.05*bs) || est.Paths < 2 {
		tol = -1 // too few paths to check anything: cannot pass
	}
	return cli.Within(est.Price, bs, tol)
}

// timePaths estimates the CPU time of paths paths at this machine's speed
// by timing a slice of them; small jobs are not timed.
func timePaths(m Market, paths uint64) time.Duration {
	const slice = 1 << 16
	if paths < 1e8 {
		return 0
	}
	start := time.Now()
	Simulate(context.Background(), Input{Market: m, Paths: slice, Seed: 1})
	return time.Duration(float64(time.Since(start)) * float64(paths) / slice)
}
