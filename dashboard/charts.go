package dashboard

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
)

// Sizes of the smaller charts.
const (
	chartW, chartH = 440, 200
	buckets        = 120
)

func chartArea() area { return area{x: 44, y: 12, w: chartW - 56, h: chartH - 40} }

// inFlight draws how many tasks were in flight over time, with the
// adaptive window and the platform's limit where they were sampled, or
// the job's concurrency bound.
func (d *Job) inFlight() string {
	t0, t1 := d.origin(), d.end()
	span := max(t1.Sub(t0).Seconds(), 0.001)
	bs := d.bars(t0, span)
	s := newSVG(chartW, chartH, "tasks in flight")
	if len(bs) == 0 {
		s.text(chartW/2, chartH/2, "middle", "empty", "nothing in flight yet")
		return s.String()
	}
	peak := make([]int, buckets)
	type step struct {
		t float64
		d int
	}
	var steps []step
	for _, b := range bs {
		steps = append(steps, step{b.invoked, 1}, step{b.end, -1})
	}
	sort.Slice(steps, func(a, b int) bool {
		if steps[a].t != steps[b].t {
			return steps[a].t < steps[b].t
		}
		return steps[a].d < steps[b].d
	})
	cur := 0
	for _, st := range steps {
		cur += st.d
		k := min(int(st.t/span*buckets), buckets-1)
		peak[k] = max(peak[k], cur)
	}
	// A bucket with no step holds what the one before ended with.
	cur = 0
	ends := make([]int, buckets)
	i := 0
	for k := range buckets {
		for i < len(steps) && int(steps[i].t/span*buckets) <= k {
			cur += steps[i].d
			i++
		}
		ends[k] = cur
		if k > 0 {
			peak[k] = max(peak[k], ends[k-1])
		}
	}
	top := 1
	for _, v := range peak {
		top = max(top, v)
	}
	limit, limitName := d.limit()
	for _, f := range d.Flow {
		top = max(top, f.Window)
	}
	top = max(top, limit)
	p := chartArea()
	y := func(v int) float64 { return p.y + p.h - p.h*float64(v)/float64(top) }
	xs, ys := []float64{p.x}, []float64{y(0)}
	for k, v := range peak {
		xs = append(xs, p.x+p.w*float64(k)/buckets, p.x+p.w*float64(k+1)/buckets)
		ys = append(ys, y(v), y(v))
	}
	xs, ys = append(xs, p.x+p.w), append(ys, y(0))
	s.polyline(xs, ys, "area")
	if len(d.Flow) > 0 {
		wx, wy := windowSteps(d.Flow, t0, span)
		for k := range wx {
			wx[k], wy[k] = p.x+p.w*wx[k]/span, y(int(wy[k]))
		}
		s.polyline(wx, wy, "window")
	}
	if limit > 0 {
		s.line(p.x, y(limit), p.x+p.w, y(limit), "limit")
		s.text(p.x+p.w, y(limit)-3, "end", "tick", fmt.Sprintf("%s %d", limitName, limit))
	}
	s.text(p.x-4, p.y+8, "end", "tick", fmt.Sprint(top))
	s.text(p.x-4, p.y+p.h, "end", "tick", "0")
	s.timeAxis(p, span)
	return s.String()
}

// windowSteps returns the window over [0, span] seconds from t0 as a step
// line: each size holds until the next sample, the last to the end. A
// sample before t0 (the Map started before its first invocation) gives
// the size at 0.
func windowSteps(flow []FlowSample, t0 time.Time, span float64) (xs, ys []float64) {
	for _, f := range flow {
		t := min(max(f.Time.Sub(t0).Seconds(), 0), span)
		if n := len(xs); n > 0 {
			xs, ys = append(xs, t), append(ys, ys[n-1])
		}
		xs, ys = append(xs, t), append(ys, float64(f.Window))
	}
	if n := len(xs); n > 0 && xs[n-1] < span {
		xs, ys = append(xs, span), append(ys, ys[n-1])
	}
	return xs, ys
}

// limit is the line the in-flight chart draws: the platform's limit as the
// flow control last saw it, else the job's concurrency bound.
func (d *Job) limit() (int, string) {
	if n := len(d.Flow); n > 0 && d.Flow[n-1].MaxWindow > 0 {
		return d.Flow[n-1].MaxWindow, "platform limit"
	}
	c := 0
	for _, r := range d.Maps {
		c = max(c, r.Concurrency)
	}
	return c, "concurrency"
}

// throughput draws tasks finished per second over time.
func (d *Job) throughput() string {
	t0, t1 := d.origin(), d.end()
	span := max(t1.Sub(t0).Seconds(), 0.001)
	s := newSVG(chartW, chartH, "throughput")
	n := 60
	count := make([]int, n)
	total := 0
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			rec := r.Records.At(i)
			if rec.State != overcast.Done || rec.Resumed || rec.Returned == 0 {
				continue
			}
			t := float64(rec.Returned-t0.UnixNano()) / 1e9
			count[min(max(int(t/span*float64(n)), 0), n-1)]++
			total++
		}
	}
	if total == 0 {
		s.text(chartW/2, chartH/2, "middle", "empty", "no task has finished yet")
		return s.String()
	}
	width := span / float64(n)
	top := 0.0
	for _, c := range count {
		top = max(top, float64(c)/width)
	}
	p := chartArea()
	for k, c := range count {
		if c == 0 {
			continue
		}
		rate := float64(c) / width
		h := p.h * rate / top
		s.rectTitle(p.x+p.w*float64(k)/float64(n), p.y+p.h-h, p.w/float64(n)-0.5, h, "bar",
			fmt.Sprintf("%.3g tasks/s", rate))
	}
	s.text(p.x-4, p.y+8, "end", "tick", compact(top)+"/s")
	s.text(p.x-4, p.y+p.h, "end", "tick", "0")
	s.timeAxis(p, span)
	return s.String()
}

// hbars draws one horizontal bar per label.
func hbars(label string, names []string, values []int, classes []string) string {
	h := max(40, 26*len(names)+10)
	s := newSVG(chartW, h, label)
	if len(names) == 0 {
		s.text(chartW/2, float64(h)/2+4, "middle", "empty", "none")
		return s.String()
	}
	top := 1
	for _, v := range values {
		top = max(top, v)
	}
	x0, w := 130.0, float64(chartW-130-60)
	for i, n := range names {
		y := 8 + 26*float64(i)
		s.text(x0-6, y+13, "end", "label", n)
		bw := max(w*float64(values[i])/float64(top), 1)
		s.rectTitle(x0, y, bw, 18, classes[i%len(classes)], fmt.Sprintf("%s: %d", n, values[i]))
		s.text(x0+bw+4, y+13, "start", "label", fmt.Sprint(values[i]))
	}
	return s.String()
}

// errorsByKind draws the retried and failed attempts by kind of error.
func (d *Job) errorsByKind() string {
	ks := sortedKinds(d.Errors)
	vs := make([]int, len(ks))
	for i, k := range ks {
		vs[i] = d.Errors[k]
	}
	return hbars("retries and errors by kind", ks, vs, []string{"s-fail"})
}

// coldWarm draws how many finished tasks started cold and warm.
func (d *Job) coldWarm() string {
	var cold, warm int
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			if r.Records.State(i) != overcast.Done {
				continue
			}
			if r.Records.Cold(i) {
				cold++
			} else {
				warm++
			}
		}
	}
	if cold+warm == 0 {
		return hbars("cold and warm starts", nil, nil, nil)
	}
	return hbars("cold and warm starts", []string{"cold", "warm"}, []int{cold, warm}, []string{"s-cold", "s-run"})
}

// cost estimates what the job used and would cost on each platform.
func (d *Job) cost() string {
	u := report.Usage{Measured: true, MemoryMB: report.DefaultMemoryMB}
	for _, r := range d.Maps {
		u.Add(report.MeasureUsage(r, report.DefaultMemoryMB))
	}
	if u.Invocations == 0 {
		return "nothing billed yet"
	}
	return fmt.Sprintf("%.4g GB-s, %d invocations: %s", u.GBSeconds, u.Invocations,
		strings.TrimSpace(report.FormatCosts(report.Estimate(u, report.Prices))))
}

// eta estimates when a running job ends from its pace over the last
// minute it ran (or all of it, if shorter).
func (d *Job) eta() string {
	if !d.Live() {
		return "ended"
	}
	left := d.Tasks - d.Done - d.Failed
	if left <= 0 {
		return "finishing"
	}
	now := d.Now.UnixNano()
	from := now - int64(time.Minute)
	from = max(from, d.origin().UnixNano())
	n := 0
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			if ret := r.Records.At(i).Returned; ret >= from && r.Records.State(i) == overcast.Done {
				n++
			}
		}
	}
	if n == 0 || now <= from {
		return "unknown until tasks finish"
	}
	rate := float64(n) / (float64(now-from) / 1e9)
	secs := float64(left) / rate
	return fmt.Sprintf("about %v at %s tasks/s", (time.Duration(secs * float64(time.Second))).Round(time.Second), compact(rate))
}

// compact writes v in a few characters: 0.5, 950, 12k, 3.4M.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return short(v/1e6) + "M"
	case v >= 1e3:
		return short(v/1e3) + "k"
	}
	return short(v)
}

func short(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}
