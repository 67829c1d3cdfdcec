package main

import (
	"context"
	"math"
	"testing"
)

var hull = Market{Spot: 100, Strike: 100, Rate: 0.05, Vol: 0.2, Years: 1}

// simulate prices m with paths pairs over tasks tasks in this process.
func simulate(t *testing.T, m Market, paths uint64, tasks int) Estimate {
	t.Helper()
	ins, err := plan(m, paths, tasks, 1)
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]Sums, len(ins))
	for i, in := range ins {
		if outs[i], err = Simulate(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	return combine(m, outs)
}

func TestBlackScholesTextbook(t *testing.T) {
	// Hull, Options, Futures and Other Derivatives: S = K = 100, r = 5%,
	// σ = 20%, T = 1 gives 10.45; S = 42, K = 40, r = 10%, σ = 20%,
	// T = 0.5 gives 4.76.
	if got := BlackScholes(hull); math.Abs(got-10.4506) > 1e-4 {
		t.Errorf("BlackScholes(hull) = %v", got)
	}
	if got := BlackScholes(Market{Spot: 42, Strike: 40, Rate: 0.1, Vol: 0.2, Years: 0.5}); math.Abs(got-4.7594) > 1e-4 {
		t.Errorf("BlackScholes(42, 40) = %v", got)
	}
}

// TestCheckCannotPassByAccident: the check passes for the model's price
// and fails for a price of another model, one a few standard errors off,
// one from too few paths to tell, and a missing one.
func TestCheckCannotPassByAccident(t *testing.T) {
	est := simulate(t, hull, 2e5, 4)
	bs := BlackScholes(hull)
	if c := checkPrice(est, bs); !c.OK {
		t.Fatalf("the right model failed its check: %+v (estimate %+v)", c, est)
	}
	wrongVol := hull
	wrongVol.Vol = 0.21
	if c := checkPrice(simulate(t, wrongVol, 2e5, 4), bs); c.OK {
		t.Errorf("a simulation at 21%% volatility passed for 20%%: %+v", c)
	}
	off := est
	off.Price += 5 * est.StdErr
	if c := checkPrice(off, bs); c.OK {
		t.Errorf("a price 5 standard errors off passed: %+v", c)
	}
	if c := checkPrice(simulate(t, hull, 50, 1), bs); c.OK {
		t.Errorf("50 paths passed: %+v", c)
	}
	if c := checkPrice(combine(hull, nil), bs); c.OK {
		t.Errorf("no paths passed: %+v", c)
	}
	if c := checkPrice(Estimate{Price: math.NaN(), StdErr: math.NaN(), Paths: 100}, bs); c.OK {
		t.Errorf("a NaN price passed: %+v", c)
	}
}

// TestStdErrShrinksWithPaths: the standard error comes from the
// samples, and halves (about) when the paths quadruple.
func TestStdErrShrinksWithPaths(t *testing.T) {
	a, b := simulate(t, hull, 1e4, 2), simulate(t, hull, 4e4, 2)
	if r := a.StdErr / b.StdErr; r < 1.8 || r > 2.2 {
		t.Errorf("standard errors %v at 1e4 pairs, %v at 4e4: ratio %v, want about 2", a.StdErr, b.StdErr, r)
	}
}
