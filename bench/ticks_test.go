package bench

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// labels returns the labelled values of the ticks of [lo, hi].
func labels(tk logTicks, lo, hi float64) []string {
	var ls []string
	for _, t := range tk.Ticks(lo, hi) {
		if t.Label != "" && t.Value >= lo && t.Value <= hi {
			ls = append(ls, t.Label)
		}
	}
	slices.Sort(ls)
	return slices.Compact(ls)
}

func TestLogTicksLabelNarrowAxes(t *testing.T) {
	for _, tt := range []struct {
		tk     logTicks
		lo, hi float64
		want   []string
	}{
		{logTicks{pow2: true}, 1, 64, []string{"1", "16", "2", "32", "4", "64", "8"}},
		{logTicks{pow2: true}, 1, 8, []string{"1", "2", "4", "8"}},
		{logTicks{pow2: true}, 0.9, 1.3, []string{"1"}},
		{logTicks{}, 0.01, 5, []string{"0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"}},
		{logTicks{}, 0.01, 100, []string{"0.01", "0.1", "1", "10", "100"}},
	} {
		got := labels(tt.tk, tt.lo, tt.hi)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%+v over [%g, %g]: labels %v, want %v", tt.tk, tt.lo, tt.hi, got, want)
		}
	}
	if n := len(labels(logTicks{pow2: true}, 1, 1<<20)); n < 2 || n > maxLabels {
		t.Errorf("[1, 2^20] has %d labels; want 2 to %d", n, maxLabels)
	}
}

// TestScalingPlotTitleOffTheTopEdge draws a strong-scaling plot as the
// README's command makes it and checks that its title starts below the
// top edge.
func TestScalingPlotTitleOffTheTopEdge(t *testing.T) {
	var rows []ScalingRow
	for _, n := range []int{1, 2, 4, 8} {
		rows = append(rows, ScalingRow{Tasks: n, Speedup: 1.1, Efficiency: 1.1 / float64(n)})
	}
	path := filepath.Join(t.TempDir(), "strong.png")
	if err := ScalingPlot(rows, Strong, "pi on local", path, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	blank := 0
rows:
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				break rows
			}
		}
		blank++
	}
	if blank < 8 {
		t.Errorf("the title starts %d pixels below the top edge; want at least 8", blank)
	}
}
