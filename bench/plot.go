package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot colours.
var (
	colorMeasured = color.RGBA{R: 40, G: 110, B: 200, A: 255}
	colorIdeal    = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	colorNaive    = color.RGBA{R: 200, G: 60, B: 40, A: 255}
	colorTarget   = color.RGBA{R: 40, G: 160, B: 70, A: 255}
)

// ScalingPlot draws speedup and efficiency against the task count, each
// beside its ideal, to path (.png, .svg or .pdf). When cores is positive
// (compute-bound tasks on one machine), it also draws the ideal on that
// many cores: speedup min(N, cores).
func ScalingPlot(rows []ScalingRow, mode, title, path string, cores int) error {
	if len(rows) == 0 {
		return fmt.Errorf("no rows to plot")
	}
	speed, eff := plot.New(), plot.New()
	speed.Title.Text, eff.Title.Text = "speedup", "efficiency"
	var measured, ideal, effs, ones plotter.XYs
	for _, r := range rows {
		n := float64(r.Tasks)
		measured = append(measured, plotter.XY{X: n, Y: r.Speedup})
		ideal = append(ideal, plotter.XY{X: n, Y: n})
		effs = append(effs, plotter.XY{X: n, Y: r.Efficiency})
		ones = append(ones, plotter.XY{X: n, Y: 1})
	}
	for _, p := range []*plot.Plot{speed, eff} {
		p.X.Label.Text = "tasks"
		if rows[len(rows)-1].Tasks > 4*rows[0].Tasks {
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{pow2: true}
		}
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
	}
	if rows[len(rows)-1].Tasks > 4*rows[0].Tasks {
		speed.Y.Scale, speed.Y.Tick.Marker = plot.LogScale{}, logTicks{pow2: true}
	}
	speed.Y.Label.Text = "speedup (ideal: tasks)"
	eff.Y.Label.Text = "efficiency (ideal: 1)"
	eff.Y.Min, eff.Y.Max = 0, 1.1
	if err := addLines(speed, "measured", measured, "ideal", ideal); err != nil {
		return err
	}
	if err := addLines(eff, "measured", effs, "ideal", ones); err != nil {
		return err
	}
	if cores > 0 && mode == Strong {
		if err := addCoreLines(speed, eff, rows, cores); err != nil {
			return err
		}
	}
	speed.Legend.Top, speed.Legend.Left = false, false // the lines rise to the right
	eff.Legend.Top, eff.Legend.Left = false, true
	eff.Y.Max = max(1.1, maxY(effs)*1.05)
	return saveRow([]*plot.Plot{speed, eff}, fmt.Sprintf("%s scaling: %s", strings.ToUpper(mode[:1])+mode[1:], title), path, 10*vg.Inch, 4.5*vg.Inch)
}

// addLines adds a measured line with points and a dashed ideal line.
func addLines(p *plot.Plot, name string, xys plotter.XYs, idealName string, ideal plotter.XYs) error {
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, pts.Color = colorMeasured, colorMeasured
	l.Width = vg.Points(2)
	il, err := plotter.NewLine(ideal)
	if err != nil {
		return err
	}
	il.Color, il.Dashes = colorIdeal, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(il, l, pts)
	p.Legend.Add(name, l, pts)
	p.Legend.Add(idealName, il)
	return nil
}

// addCoreLines draws the ideal on a machine of cores cores.
func addCoreLines(speed, eff *plot.Plot, rows []ScalingRow, cores int) error {
	var s, e plotter.XYs
	for _, r := range rows {
		n := float64(r.Tasks)
		c := min(n, float64(cores))
		s = append(s, plotter.XY{X: n, Y: c})
		e = append(e, plotter.XY{X: n, Y: c / n})
	}
	name := fmt.Sprintf("ideal on %d cores", cores)
	for _, x := range []struct {
		p   *plot.Plot
		xys plotter.XYs
	}{{speed, s}, {eff, e}} {
		l, err := plotter.NewLine(x.xys)
		if err != nil {
			return err
		}
		l.Color, l.Dashes = colorTarget, []vg.Length{vg.Points(2), vg.Points(2)}
		x.p.Add(l)
		x.p.Legend.Add(name, l)
	}
	return nil
}

func maxY(xys plotter.XYs) float64 {
	m := 0.0
	for _, p := range xys {
		m = max(m, p.Y)
	}
	return m
}

// FanoutPlot draws the tasks running over time, one panel per task count,
// with every client measured at that count (overcast and naive), to path.
// Targets, when set, maps a task count to the target time to have them all
// running, drawn as a vertical line.
func FanoutPlot(results []*FanoutResult, targets map[int]float64, title, path string) error {
	byTasks := map[int][]*FanoutResult{}
	var counts []int
	for _, r := range results {
		if _, ok := byTasks[r.Tasks]; !ok {
			counts = append(counts, r.Tasks)
		}
		byTasks[r.Tasks] = append(byTasks[r.Tasks], r)
	}
	if len(counts) == 0 {
		return fmt.Errorf("no results to plot")
	}
	sort.Ints(counts)
	var plots []*plot.Plot
	for _, n := range counts {
		p, err := fanoutPanel(n, byTasks[n], targets[n])
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	w := vg.Length(len(plots)) * 5.5 * vg.Inch
	return saveRow(plots, title, path, w, 4.5*vg.Inch)
}

// logFrom is where a logarithmic time axis starts, in seconds.
const logFrom = 0.01

func fanoutPanel(n int, rs []*FanoutResult, target float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s tasks of %s", thousands(n), msText(rs[0].TaskMS))
	p.X.Label.Text = "seconds since the job started"
	p.Y.Label.Text = "tasks running"
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, niceCeil(float64(n)*1.35) // room for the legend
	p.Y.Tick.Marker = plainTicks{}
	shortest, longest := rs[0].MakespanSeconds, rs[0].MakespanSeconds
	for _, r := range rs {
		shortest, longest = min(shortest, r.MakespanSeconds), max(longest, r.MakespanSeconds)
	}
	p.X.Max = longest * 1.02
	logX := longest > 5*shortest && longest > 10*logFrom
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Min = logFrom
		p.X.Label.Text += " (log scale)"
	}
	for _, r := range rs {
		l, err := plotter.NewLine(resample(r.Curve, r.MakespanSeconds, 1500, logX))
		if err != nil {
			return nil, err
		}
		l.Width = vg.Points(2)
		l.Color = colorMeasured
		if r.Client == "naive" {
			l.Color = colorNaive
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s: all running at %.2f s, done at %.2f s", r.Client, r.TimeToAllRunningSeconds, r.MakespanSeconds), l)
	}
	if target > 0 {
		t, err := plotter.NewLine(plotter.XYs{{X: target, Y: 0}, {X: target, Y: float64(n) * 1.05}})
		if err != nil {
			return nil, err
		}
		t.Color, t.Dashes = colorTarget, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(t)
		p.Legend.Add(fmt.Sprintf("target: all running by %g s", target), t)
	}
	return p, nil
}

// resample turns a step curve into at most k+1 points spread evenly over
// [0, end] (or, on a log axis, logarithmically over [logFrom, end]), each
// the count in force at its time. A short curve is drawn as exact steps.
func resample(curve []Point, end float64, k int, logX bool) plotter.XYs {
	clamp := func(t float64) float64 {
		if logX {
			return max(t, logFrom)
		}
		return t
	}
	if len(curve) <= k || end <= 0 {
		xys := make(plotter.XYs, 0, 2*len(curve))
		for i, c := range curve {
			if i > 0 { // draw steps, not slopes
				xys = append(xys, plotter.XY{X: clamp(c.T), Y: float64(curve[i-1].N)})
			}
			xys = append(xys, plotter.XY{X: clamp(c.T), Y: float64(c.N)})
		}
		return xys
	}
	xys := make(plotter.XYs, 0, k+1)
	j := 0
	for i := 0; i <= k; i++ {
		f := float64(i) / float64(k)
		t := end * f
		if logX {
			t = logFrom * math.Pow(max(end, logFrom)/logFrom, f)
		}
		for j+1 < len(curve) && curve[j+1].T <= t {
			j++
		}
		xys = append(xys, plotter.XY{X: t, Y: float64(curve[j].N)})
	}
	return xys
}

// saveRow draws plots side by side under a title and writes them to path
// as PNG, SVG or PDF by its extension.
func saveRow(plots []*plot.Plot, title, path string, w, h vg.Length) error {
	var c vg.CanvasWriterTo
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	case ".svg":
		c = vgsvg.New(w, h)
	case ".pdf":
		c = vgpdf.New(w, h)
	default:
		return fmt.Errorf("plot file %q must end in .png, .svg or .pdf", path)
	}
	dc := draw.New(c)
	titleH := drawTitle(dc, title, w, h)
	body := draw.Crop(dc, 0, 0, 0, -titleH)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(16), PadTop: vg.Points(10), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(12)}
	for i, p := range plots {
		p.Title.Padding = vg.Points(6)
		p.Draw(tiles.At(body, i, 0))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// titleMargin is the space above a figure's title.
const titleMargin = vg.Length(10) // points

// drawTitle draws the title's first line large and the others (the
// model) small, centred at the top, and returns the height it took.
func drawTitle(dc draw.Canvas, title string, w, h vg.Length) vg.Length {
	y := h - titleMargin
	for i, line := range strings.Split(title, "\n") {
		font := plot.DefaultFont
		font.Size = vg.Points(14)
		if i > 0 {
			font.Size = vg.Points(10)
		}
		style := draw.TextStyle{Color: color.Black, Font: font, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
		dc.FillText(style, vg.Point{X: w / 2, Y: y}, line)
		y -= font.Size * 1.3
	}
	return h - y + vg.Points(4)
}

// plainTicks are the default ticks labelled without trailing zeros.
type plainTicks struct{}

// Ticks returns the default ticks between lo and hi with plain labels.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}

// niceCeil rounds v up to one or two significant digits.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	unit := math.Pow(10, math.Floor(math.Log10(v))-1)
	return math.Ceil(v/unit) * unit
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func msText(ms int) string {
	if ms >= 1000 && ms%1000 == 0 {
		return fmt.Sprintf("%d s", ms/1000)
	}
	return fmt.Sprintf("%d ms", ms)
}
