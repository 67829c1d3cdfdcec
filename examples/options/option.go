package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// taskName is the registered name of the simulation task.
const taskName = "options/simulate"

// Market is a European call and the model it is priced in: geometric
// Brownian motion with a constant rate and volatility.
type Market struct {
	Spot   float64 `json:"spot"`
	Strike float64 `json:"strike"`
	Rate   float64 `json:"rate"`
	Vol    float64 `json:"vol"`
	Years  float64 `json:"years"`
}

// Input is one task's share of the paths.
type Input struct {
	Market Market `json:"market"`
	Paths  uint64 `json:"paths"`
	Seed   uint64 `json:"seed"`
}

// Sums are one task's samples, summed: each sample is the discounted
// payoff averaged over an antithetic pair of paths.
type Sums struct {
	N     uint64  `json:"n"`
	Sum   float64 `json:"sum"`
	SumSq float64 `json:"sum_sq"`
}

// Simulate is the task: it draws in.Paths antithetic pairs of terminal
// prices from its own generator and sums their discounted payoffs.
func Simulate(ctx context.Context, in Input) (Sums, error) {
	m := in.Market
	rng := rand.New(rand.NewPCG(in.Seed, 0x6f7074696f6e73))
	drift := (m.Rate - m.Vol*m.Vol/2) * m.Years
	diffusion := m.Vol * math.Sqrt(m.Years)
	discount := math.Exp(-m.Rate * m.Years)
	var s Sums
	for i := range in.Paths {
		if i%(1<<16) == 0 && ctx.Err() != nil {
			return Sums{}, ctx.Err()
		}
		z := rng.NormFloat64()
		up := max(m.Spot*math.Exp(drift+diffusion*z)-m.Strike, 0)
		down := max(m.Spot*math.Exp(drift-diffusion*z)-m.Strike, 0)
		x := discount * (up + down) / 2
		s.Sum += x
		s.SumSq += x * x
	}
	s.N = in.Paths
	return s, nil
}

// plan splits paths over tasks, each with a seed of its own derived from
// the job's.
func plan(m Market, paths uint64, tasks int, seed uint64) ([]Input, error) {
	switch {
	case !(m.Spot > 0 && m.Strike > 0 && m.Vol > 0 && m.Years > 0) || math.IsInf(m.Spot+m.Strike+m.Vol+m.Years, 0):
		return nil, errors.New("--spot, --strike, --vol and --years must be positive and finite")
	case math.IsNaN(m.Rate) || math.IsInf(m.Rate, 0):
		return nil, errors.New("--rate must be finite")
	case uint64(tasks) > paths:
		return nil, fmt.Errorf("more tasks (%d) than paths (%d)", tasks, paths)
	}
	per, extra := paths/uint64(tasks), paths%uint64(tasks)
	ins := make([]Input, tasks)
	for i := range ins {
		ins[i] = Input{Market: m, Paths: per, Seed: taskSeed(seed, i)}
		if uint64(i) < extra {
			ins[i].Paths++
		}
	}
	return ins, nil
}

// taskSeed derives task i's seed from the job seed (splitmix64).
func taskSeed(seed uint64, i int) uint64 {
	z := seed + (uint64(i)+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Estimate is the Monte Carlo price and its standard error, from the
// samples of the tasks that finished.
type Estimate struct {
	Price, StdErr float64
	Paths         uint64
}

// combine adds the tasks' sums (a failed task's are zero) into the price
// and its standard error.
func combine(m Market, outs []Sums) Estimate {
	var n uint64
	var sum, sumSq float64
	for _, o := range outs {
		n, sum, sumSq = n+o.N, sum+o.Sum, sumSq+o.SumSq
	}
	if n < 2 {
		return Estimate{Price: sum / float64(max(n, 1)), Paths: n} // no spread to measure
	}
	mean := sum / float64(n)
	variance := max(sumSq-sum*mean, 0) / float64(n-1)
	return Estimate{Price: mean, StdErr: math.Sqrt(variance / float64(n)), Paths: n}
}

// BlackScholes is the closed-form price of the call.
func BlackScholes(m Market) float64 {
	sd := m.Vol * math.Sqrt(m.Years)
	d1 := (math.Log(m.Spot/m.Strike) + (m.Rate+m.Vol*m.Vol/2)*m.Years) / sd
	d2 := d1 - sd
	return m.Spot*normCDF(d1) - m.Strike*math.Exp(-m.Rate*m.Years)*normCDF(d2)
}

// normCDF is the standard normal distribution function.
func normCDF(x float64) float64 { return math.Erfc(-x/math.Sqrt2) / 2 }
