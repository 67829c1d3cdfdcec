package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/overcast-sc/overcast"
)

// Phase colours of the timeline.
var (
	colorWait = color.RGBA{R: 190, G: 190, B: 190, A: 255}
	colorCold = color.RGBA{R: 230, G: 140, B: 30, A: 255}
	colorRun  = color.RGBA{R: 40, G: 110, B: 200, A: 255}
	colorFail = color.RGBA{R: 200, G: 40, B: 40, A: 255}
)

// span is one task's bar: seconds from the job's start.
type span struct {
	invoked, start, run, end float64
	failed                   bool
}

func spans(r *overcast.Report) []span {
	t0 := r.Start.UnixNano()
	sec := func(ns int64) float64 { return float64(ns-t0) / 1e9 }
	var out []span
	for i := range r.Records.Len() {
		rec := r.Records.At(i)
		if rec.Invoked == 0 || rec.Resumed {
			continue
		}
		s := span{invoked: sec(rec.Invoked), end: sec(rec.Returned), failed: rec.State == overcast.TaskFailedState}
		s.start, s.run = s.invoked, s.invoked
		if rec.Start != 0 && rec.End >= rec.Start {
			s.run = max(sec(rec.Start), s.invoked)
			s.start = max(s.run-rec.Init.Seconds(), s.invoked)
			s.end = max(sec(rec.End), s.run)
		}
		out = append(out, s)
	}
	return out
}

// timelinePlotter draws one horizontal bar per task: waiting (grey), cold
// start (orange) and running (blue, red when the task failed).
type timelinePlotter struct{ spans []span }

func (t timelinePlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, s := range t.spans {
		y0, y1 := trY(float64(i)), trY(float64(i)+0.8)
		bar := func(a, b float64, col color.Color) {
			if b <= a {
				return
			}
			x0, x1 := trX(a), trX(b)
			if x1-x0 < 0.3 {
				x1 = x0 + 0.3
			}
			c.FillPolygon(col, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		}
		bar(s.invoked, s.start, colorWait)
		bar(s.start, s.run, colorCold)
		run := colorRun
		if s.failed {
			run = colorFail
		}
		bar(s.run, s.end, run)
	}
}

func (t timelinePlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, s := range t.spans {
		xmax = max(xmax, s.end)
	}
	return 0, xmax, 0, float64(len(t.spans))
}

// Timeline draws a job's execution timeline to path (.png or .svg).
func Timeline(r *overcast.Report, path string) error {
	ss := spans(r)
	if len(ss) == 0 {
		return fmt.Errorf("job %s has no task timings to plot", r.Job)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d %s tasks on %s", r.Job, r.Tasks, r.Task, r.Backend)
	p.X.Label.Text = "seconds since the job started"
	p.Y.Label.Text = "task (in order of invocation)"
	sortByInvoked(ss)
	p.Add(timelinePlotter{ss})
	legend(p, []string{"waiting", "cold start", "running", "failed"}, []color.Color{colorWait, colorCold, colorRun, colorFail})
	return save(p, path, 8*vg.Inch, 5*vg.Inch)
}

func sortByInvoked(ss []span) {
	for i := 1; i < len(ss); i++ { // insertion sort keeps it allocation free; records are nearly sorted
		for k := i; k > 0 && ss[k].invoked < ss[k-1].invoked; k-- {
			ss[k], ss[k-1] = ss[k-1], ss[k]
		}
	}
}

func legend(p *plot.Plot, names []string, cols []color.Color) {
	for i, n := range names {
		b, _ := plotter.NewBarChart(plotter.Values{0}, vg.Points(1))
		b.Color = cols[i]
		b.LineStyle.Width = 0
		p.Legend.Add(n, b)
	}
	p.Legend.Top = true
	p.Legend.Left = true
}

// Histogram draws the distribution of task running times to path.
func Histogram(r *overcast.Report, path string) error {
	var v plotter.Values
	for _, s := range spans(r) {
		v = append(v, s.end-s.run)
	}
	if len(v) == 0 {
		return fmt.Errorf("job %s has no task timings to plot", r.Job)
	}
	h, err := plotter.NewHist(v, min(50, max(5, len(v)/10)))
	if err != nil {
		return err
	}
	h.FillColor = colorRun
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: task running times", r.Job)
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = "tasks"
	p.Add(h)
	return save(p, path, 6*vg.Inch, 4*vg.Inch)
}

// titleMargin is the space above a plot's title, and titleGap the space
// below it: gonum draws the title against the top edge.
const titleMargin, titleGap = vg.Length(10), vg.Length(6) // points

// save writes p as PNG, SVG or PDF, chosen by the file's extension, with
// room above its title.
func save(p *plot.Plot, path string, w, h vg.Length) error {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	switch format {
	case "png", "svg", "pdf":
	default:
		return fmt.Errorf("plot file %q must end in .png, .svg or .pdf", path)
	}
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	dc.SetColor(color.White) // the margin, as the plot fills only its own area
	dc.Fill(dc.Rectangle.Path())
	p.Title.Padding = titleGap
	p.Draw(draw.Crop(dc, 0, 0, 0, -titleMargin))
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

// Save writes any plot as PNG, SVG or PDF by the file's extension.
func Save(p *plot.Plot, path string, w, h vg.Length) error { return save(p, path, w, h) }
