package bench

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// logTicks label a logarithmic axis so that a narrow one gets more than one
// label, where gonum's LogTicks labels only powers of ten: [1, 8] gets
// just "1". Over less than three decades, labels go at powers of two
// (task counts: 1, 2, 4, 8, ...) when pow2 is set, or at 1, 2 and 5 times
// powers of ten; over wider ranges, at the powers of ten. Minor ticks mark
// the integers times each power of ten, but on a power-of-two axis, where
// they would fall between the labels at odd places.
type logTicks struct{ pow2 bool }

// maxLabels keeps a wide power-of-two axis from crowding its labels: the
// labels then skip powers.
const maxLabels = 9

// Ticks returns the ticks of [lo, hi], which must be positive.
func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 || hi < lo {
		return plot.LogTicks{Prec: -1}.Ticks(math.Max(lo, math.SmallestNonzeroFloat64), math.Max(hi, lo))
	}
	var labels []float64
	switch {
	case hi/lo >= 1000:
		labels = decades(lo, hi, 1)
	case t.pow2:
		labels = powersOfTwo(lo, hi)
	default:
		labels = decades(lo, hi, 1, 2, 5)
	}
	labelled := map[float64]bool{}
	var ticks []plot.Tick
	for _, v := range labels {
		labelled[v] = true
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	for _, v := range decades(lo, hi, 1, 2, 3, 4, 5, 6, 7, 8, 9) {
		if !labelled[v] && !t.pow2 {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// decades returns m·10^k for each multiplier m that lies in [lo, hi].
func decades(lo, hi float64, ms ...float64) []float64 {
	var vs []float64
	for k := math.Floor(math.Log10(lo)); math.Pow(10, k) <= hi; k++ {
		for _, m := range ms {
			if v := m * math.Pow(10, k); v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				vs = append(vs, v)
			}
		}
	}
	return vs
}

// powersOfTwo returns the powers of two in [lo, hi], every other one (or
// fewer) when there would be more than maxLabels.
func powersOfTwo(lo, hi float64) []float64 {
	first, last := math.Ceil(math.Log2(lo)-1e-9), math.Floor(math.Log2(hi)+1e-9)
	step := math.Max(1, math.Ceil((last-first+1)/maxLabels))
	var vs []float64
	for k := first; k <= last; k += step {
		vs = append(vs, math.Exp2(k))
	}
	return vs
}
