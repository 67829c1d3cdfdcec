// Command sweep is a parameter sweep: it prices a European call at every
// point of a grid of strikes and volatilities, one task a point, each by
// numerical integration of the payoff over the terminal price's
// lognormal density, and writes the grid as CSV. It checks every point
// against the Black–Scholes closed form. Its binary is a full overcast
// command line and worker:
//
//	go build -o sweep ./examples/sweep
//	./sweep run sweep --output prices.csv --json
//	./sweep run sweep --backend openwhisk --strikes 41 --vols 41 --output prices.csv
package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/cli"
)

// Params is one point of the sweep; Price is what a task computes for it.
type Params struct {
	Spot, Strike, Rate, Vol, Years float64
}
type Price struct{ Value float64 }

func init() { overcast.Register("sweep/price", Integrate) }

func main() { cli.Main(cli.WithJobs(sweepJob)) }

// tolerance is how far an integrated price may be from the closed form.
const tolerance = 1e-9

var sweepJob = &cli.Job{
	Name:    "sweep",
	Short:   "Price a call over a grid of strikes and volatilities and write a CSV",
	Example: "  sweep run sweep --strikes 21 --vols 11 --output prices.csv",
	Setup: func(fs *pflag.FlagSet) cli.Plan {
		g := grid{spot: 100, rate: 0.05, years: 1, strikeLo: 80, strikeHi: 120, volLo: 0.1, volHi: 0.5}
		var output string
		fs.Var(cli.Positive(&g.strikes, 9), "strikes", "strikes in the grid, from --strike-lo to --strike-hi")
		fs.Var(cli.Positive(&g.vols, 5), "vols", "volatilities in the grid, from --vol-lo to --vol-hi")
		fs.Float64Var(&g.strikeLo, "strike-lo", g.strikeLo, "lowest strike")
		fs.Float64Var(&g.strikeHi, "strike-hi", g.strikeHi, "highest strike")
		fs.Float64Var(&g.volLo, "vol-lo", g.volLo, "lowest volatility")
		fs.Float64Var(&g.volHi, "vol-hi", g.volHi, "highest volatility")
		fs.StringVar(&output, "output", "", "CSV file to write: strike,vol,price,black_scholes (required)")
		return cli.Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*cli.Result, error) {
			if output == "" {
				return nil, cli.Usagef("sweep needs --output FILE.csv")
			}
			points, err := g.points()
			if err != nil {
				return nil, cli.Usage(err)
			}
			f := overcast.Map[Params, Price](ctx, ex, "sweep/price", points)
			prices, err := f.Wait(context.WithoutCancel(ctx))
			worst := worstError(points, prices, f.Report())
			res := &cli.Result{
				Answer: len(points), Report: f.Report(),
				Summary: fmt.Sprintf("wrote %s: %d prices, at most %.1e from Black–Scholes", output, len(points), worst),
				Check:   cli.Within(worst, 0, tolerance),
				Work:    float64(f.Report().Succeeded()), Unit: "prices",
				Details: map[string]any{"output": output, "max_error": worst},
			}
			if err != nil {
				return res, err // a partial grid is not written
			}
			return res, writeCSV(output, points, prices)
		}}
	},
}

// grid is the sweep's parameters.
type grid struct {
	spot, rate, years  float64
	strikeLo, strikeHi float64
	volLo, volHi       float64
	strikes, vols      int
}

func (g grid) points() ([]Params, error) {
	if !(g.strikeLo > 0 && g.strikeHi >= g.strikeLo && g.volLo > 0 && g.volHi >= g.volLo) {
		return nil, fmt.Errorf("want 0 < --strike-lo <= --strike-hi and 0 < --vol-lo <= --vol-hi")
	}
	var ps []Params
	for i := range g.vols {
		for j := range g.strikes {
			ps = append(ps, Params{Spot: g.spot, Rate: g.rate, Years: g.years,
				Strike: lerp(g.strikeLo, g.strikeHi, j, g.strikes), Vol: lerp(g.volLo, g.volHi, i, g.vols)})
		}
	}
	return ps, nil
}

// lerp is the i-th of n points evenly spaced from lo to hi.
func lerp(lo, hi float64, i, n int) float64 {
	if n == 1 {
		return lo
	}
	return lo + (hi-lo)*float64(i)/float64(n-1)
}

// Integrate is the task: the discounted expected payoff, integrated over
// the standard normal variable z of the terminal price by Simpson's rule
// from where the call pays (z*) to 12 standard deviations.
func Integrate(ctx context.Context, p Params) (Price, error) {
	const n, hi = 20000, 12.0
	sd := p.Vol * math.Sqrt(p.Years)
	drift := (p.Rate - p.Vol*p.Vol/2) * p.Years
	lo := max((math.Log(p.Strike/p.Spot)-drift)/sd, -hi)
	if lo >= hi {
		return Price{}, nil
	}
	h := (hi - lo) / n
	f := func(z float64) float64 {
		payoff := max(p.Spot*math.Exp(drift+sd*z)-p.Strike, 0)
		return payoff * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
	}
	sum := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(lo+float64(i)*h)
	}
	return Price{Value: math.Exp(-p.Rate*p.Years) * sum * h / 3}, nil
}

// blackScholes is the closed-form price of the call.
func blackScholes(p Params) float64 {
	sd := p.Vol * math.Sqrt(p.Years)
	d1 := (math.Log(p.Spot/p.Strike) + (p.Rate+p.Vol*p.Vol/2)*p.Years) / sd
	n := func(x float64) float64 { return math.Erfc(-x/math.Sqrt2) / 2 }
	return p.Spot*n(d1) - p.Strike*math.Exp(-p.Rate*p.Years)*n(d1-sd)
}

// worstError is the largest distance of a finished task's price from the
// closed form.
func worstError(points []Params, prices []Price, rep *overcast.Report) float64 {
	worst := 0.0
	for i, p := range points {
		if rep.Records.State(i) == overcast.Done {
			worst = max(worst, math.Abs(prices[i].Value-blackScholes(p)))
		}
	}
	return worst
}

func writeCSV(path string, points []Params, prices []Price) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"strike", "vol", "price", "black_scholes"})
	for i, p := range points {
		w.Write([]string{num(p.Strike), num(p.Vol), num(prices[i].Value), num(blackScholes(p))})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("output: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
