package dashboard

import (
	"fmt"
	"time"

	"github.com/overcast-sc/overcast"
)

// ioTotals sums the storage bytes of a job's tasks.
type ioTotals struct {
	// Read and Written sum the records: each resolved task's attempt.
	Read, Written int64
	// Tasks counts the records with any; MaxRead and MaxWritten are the
	// most one task moved.
	Tasks               int
	MaxRead, MaxWritten int64
	// AllRead and AllWritten sum every attempt's, retried and losing
	// copies included, for the Maps that ended.
	AllRead, AllWritten int64
}

func (d *Job) ioTotals() ioTotals {
	var t ioTotals
	for _, r := range d.Maps {
		t.AllRead += r.ReadBytes
		t.AllWritten += r.WrittenBytes
		for i := range r.Records.Len() {
			rd, wr := r.Records.IO(i)
			if rd == 0 && wr == 0 {
				continue
			}
			t.Tasks++
			t.Read += rd
			t.Written += wr
			t.MaxRead, t.MaxWritten = max(t.MaxRead, rd), max(t.MaxWritten, wr)
		}
	}
	return t
}

// ioText sums up a job's storage I/O in a line: totals, per task and
// rate.
func (d *Job) ioText(t ioTotals) string {
	if t.Tasks == 0 {
		return "no task has read or written storage through overcast's storage package yet"
	}
	s := fmt.Sprintf("%s read, %s written by %d tasks (at most %s and %s a task)",
		formatBytes(t.Read), formatBytes(t.Written), t.Tasks, formatBytes(t.MaxRead), formatBytes(t.MaxWritten))
	if wall := d.end().Sub(d.origin()); wall > 0 {
		s += fmt.Sprintf("; %s/s read, %s/s written over %v", formatBytes(int64(float64(t.Read)/wall.Seconds())),
			formatBytes(int64(float64(t.Written)/wall.Seconds())), wall.Round(time.Millisecond))
	}
	if t.AllRead > t.Read || t.AllWritten > t.Written {
		s += fmt.Sprintf("; with retried and losing attempts, %s read and %s written", formatBytes(t.AllRead), formatBytes(t.AllWritten))
	}
	return s
}

// ioBuckets is the number of time buckets of the I/O chart.
const ioBuckets = 60

// ioRates spreads each task's bytes evenly over the time its attempt ran
// (the worker's timing, else the invocation's) and returns the bytes a
// second read and written in each of ioBuckets buckets of span seconds.
func (d *Job) ioRates(t0 time.Time, span float64) (read, written []float64) {
	read, written = make([]float64, ioBuckets), make([]float64, ioBuckets)
	width := span / ioBuckets
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			rd, wr := r.Records.IO(i)
			if rd == 0 && wr == 0 {
				continue
			}
			rec := r.Records.At(i)
			a, b := ioSpan(&rec, t0)
			spread(read, a, b, float64(rd), width)
			spread(written, a, b, float64(wr), width)
		}
	}
	return read, written
}

// ioSpan is when a record's attempt ran, in seconds from t0.
func ioSpan(rec *overcast.TaskRecord, t0 time.Time) (float64, float64) {
	from, to := rec.Invoked, rec.Returned
	if rec.Start != 0 && rec.End > rec.Start {
		from, to = rec.Start, rec.End
	}
	sec := func(ns int64) float64 { return float64(ns-t0.UnixNano()) / 1e9 }
	return sec(from), sec(to)
}

// spread adds n bytes over [a, b) seconds to buckets of width seconds, as
// bytes a second; a span past either end is cut to the buckets' range.
func spread(rate []float64, a, b, n, width float64) {
	if n == 0 {
		return
	}
	last, end := len(rate)-1, float64(len(rate))*width
	a, b = min(max(a, 0), end), min(max(b, 0), end)
	if b-a <= width*1e-9 {
		rate[min(int(a/width), last)] += n / width
		return
	}
	perSec := n / (b - a)
	for k := min(int(a/width), last); k <= last && float64(k)*width < b; k++ {
		lo, hi := max(a, float64(k)*width), min(b, float64(k+1)*width)
		rate[k] += perSec * (hi - lo) / width
	}
}

// ioChart draws bytes read and written a second over time.
func (d *Job) ioChart() string {
	t0, t1 := d.origin(), d.end()
	span := max(t1.Sub(t0).Seconds(), 0.001)
	s := newSVG(chartW, chartH, "storage bytes read and written per second")
	read, written := d.ioRates(t0, span)
	top := 0.0
	for k := range read {
		top = max(top, read[k], written[k])
	}
	if top == 0 {
		s.text(chartW/2, chartH/2, "middle", "empty", "no storage I/O recorded")
		return s.String()
	}
	p := chartArea()
	y := func(v float64) float64 { return p.y + p.h - p.h*v/top }
	step := func(vs []float64) ([]float64, []float64) {
		xs, ys := []float64{p.x}, []float64{y(0)}
		for k, v := range vs {
			xs = append(xs, p.x+p.w*float64(k)/ioBuckets, p.x+p.w*float64(k+1)/ioBuckets)
			ys = append(ys, y(v), y(v))
		}
		return append(xs, p.x+p.w), append(ys, y(0))
	}
	xs, ys := step(read)
	s.polyline(xs, ys, "io-read")
	xs, ys = step(written)
	s.polyline(xs, ys, "io-written")
	width := span / ioBuckets
	for k := range read {
		if read[k] > 0 || written[k] > 0 {
			s.rectTitle(p.x+p.w*float64(k)/ioBuckets, p.y, p.w/ioBuckets, p.h, "hit",
				fmt.Sprintf("%s to %s: %s/s read, %s/s written", formatSeconds(float64(k)*width), formatSeconds(float64(k+1)*width),
					formatBytes(int64(read[k])), formatBytes(int64(written[k]))))
		}
	}
	s.text(p.x-4, p.y+8, "end", "tick", formatBytes(int64(top))+"/s")
	s.text(p.x-4, p.y+p.h, "end", "tick", "0")
	s.timeAxis(p, span)
	return s.String()
}

// formatBytes writes n bytes in decimal units: 950 B, 12 kB, 3.4 MB.
func formatBytes(n int64) string {
	v := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if v < 1000 || u == "TB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return short(v) + " " + u
		}
		v /= 1000
	}
	return ""
}
