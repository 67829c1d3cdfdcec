package dashboard

import (
	"container/heap"
	"fmt"
	"sort"
	"time"

	"github.com/overcast-sc/overcast"
)

// phase is what a task is doing over a stretch of time; a higher phase
// wins a pixel shared with a lower one.
type phase uint8

const (
	phaseIdle phase = iota
	phaseWait
	phaseCold
	phaseRun
	phaseLive
	phaseBackup
	phaseRetried
	phaseFailed
)

var phaseClass = [...]string{"", "s-wait", "s-cold", "s-run", "s-live", "s-backup", "s-retry", "s-fail"}

// phaseNames are the legend's, in phase order from phaseWait.
var phaseNames = [...]string{"", "waiting", "cold start", "running", "in flight", "backup won", "retried", "failed"}

// bar is one attempt's stretch of time, seconds from the origin, cut into
// waiting, cold start and the rest (run, whose phase it gives).
type bar struct {
	invoked, start, run, end float64
	last                     phase
	// task names the bar's task for its row's tooltip (empty for an
	// attempt in flight); read and written are its storage bytes.
	task          string
	read, written int64
}

// bars returns the bars of every task that ran, in order of invocation.
func (d *Job) bars(t0 time.Time, now float64) []bar {
	sec := func(ns int64) float64 { return float64(ns-t0.UnixNano()) / 1e9 }
	var out []bar
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			rec := r.Records.At(i)
			if rec.Invoked == 0 || rec.Resumed || rec.Returned == 0 {
				continue
			}
			b := recordBar(&rec, sec)
			b.task = fmt.Sprintf("%s %d", r.Task, i)
			b.read, b.written = rec.ReadBytes, rec.WrittenBytes
			out = append(out, b)
		}
	}
	for _, a := range d.InFlight {
		s := sec(a.Since.UnixNano())
		out = append(out, bar{invoked: s, start: s, run: s, end: max(now, s), last: phaseLive})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].invoked < out[b].invoked })
	return out
}

func recordBar(rec *overcast.TaskRecord, sec func(int64) float64) bar {
	b := bar{invoked: sec(rec.Invoked), end: sec(rec.Returned), last: phaseRun}
	b.start, b.run = b.invoked, b.invoked
	if rec.Start != 0 && rec.End >= rec.Start {
		b.run = max(sec(rec.Start), b.invoked)
		b.start = max(b.run-rec.Init.Seconds(), b.invoked)
		b.end = max(sec(rec.End), b.run, b.end)
	}
	if rec.Cold && b.start == b.run && rec.Init > 0 {
		b.start = b.invoked
	}
	b.end = max(b.end, b.run)
	switch {
	case rec.State == overcast.TaskFailedState:
		b.last = phaseFailed
	case rec.Backup:
		b.last = phaseBackup
	case rec.Attempts > 1:
		b.last = phaseRetried
	}
	return b
}

// lanes packs bars into as few rows as never overlap: a lane is what one
// slot of the job's concurrency did over time. It returns each bar's lane
// and the number of lanes.
func lanes(bs []bar) ([]int, int) {
	h := &laneHeap{}
	lane := make([]int, len(bs))
	n := 0
	for i, b := range bs {
		if h.Len() > 0 && (*h)[0].end <= b.invoked {
			l := heap.Pop(h).(laneEnd)
			lane[i] = l.lane
		} else {
			lane[i] = n
			n++
		}
		heap.Push(h, laneEnd{end: b.end, lane: lane[i]})
	}
	return lane, n
}

type laneEnd struct {
	end  float64
	lane int
}

type laneHeap []laneEnd

func (h laneHeap) Len() int           { return len(h) }
func (h laneHeap) Less(a, b int) bool { return h[a].end < h[b].end }
func (h laneHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *laneHeap) Push(x any)        { *h = append(*h, x.(laneEnd)) }
func (h *laneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Sizes of the task stream.
const (
	streamW, streamH = 900, 320
	streamRows       = 120 // rows drawn at most; more lanes share rows
	perTaskRows      = 60  // up to this many tasks, one row per task
)

// taskStream draws one row per task (small jobs) or per lane, coloured by
// phase. Each row is painted into pixels first, so that the image stays
// small whatever the number of tasks.
func (d *Job) taskStream() string {
	t0, t1 := d.origin(), d.end()
	span := max(t1.Sub(t0).Seconds(), 0.001)
	bs := d.bars(t0, span)
	p := area{x: 74, y: 10, w: streamW - 84, h: streamH - 40}
	s := newSVG(streamW, streamH, "task stream")
	if len(bs) == 0 {
		s.text(streamW/2, streamH/2, "middle", "empty", "no task has started yet")
		return s.String()
	}
	lane, n := rowsOf(bs)
	rows := min(n, streamRows)
	cols := int(p.w)
	grid := make([][]phase, rows)
	for r := range grid {
		grid[r] = make([]phase, cols)
	}
	for i, b := range bs {
		row := lane[i] * rows / n
		paint(grid[row], b.invoked, b.start, phaseWait, span)
		paint(grid[row], b.start, b.run, phaseCold, span)
		paint(grid[row], b.run, b.end, b.last, span)
	}
	rh := p.h / float64(rows)
	for r, cells := range grid {
		for c := 0; c < cols; {
			k := c
			for k < cols && cells[k] == cells[c] {
				k++
			}
			if cells[c] != phaseIdle {
				s.rect(p.x+float64(c), p.y+float64(r)*rh, float64(k-c), max(rh-0.2, 0.8), phaseClass[cells[c]])
			}
			c = k
		}
	}
	what := "lane"
	if n == len(bs) && len(bs) <= perTaskRows {
		what = "task"
	}
	rowTitles(s, p, rh, rowsSummary(bs, lane, n, rows, what))
	s.timeAxis(p, span)
	s.text(p.x-6, p.y+10, "end", "tick", fmt.Sprintf("%d %ss", n, what))
	return s.String()
}

// rowsOf gives each bar a row: its own for a small job, else its lane.
func rowsOf(bs []bar) ([]int, int) {
	if len(bs) <= perTaskRows {
		rows := make([]int, len(bs))
		for i := range rows {
			rows[i] = i
		}
		return rows, len(bs)
	}
	return lanes(bs)
}

// paint marks the pixels of [a, b) seconds with ph where it outranks
// what is there; every stretch gets at least one pixel.
func paint(cells []phase, a, b float64, ph phase, span float64) {
	if b <= a {
		return
	}
	n := len(cells)
	c0 := int(a / span * float64(n))
	c1 := int(b / span * float64(n))
	c0 = min(max(c0, 0), n-1)
	c1 = min(max(c1, c0+1), n)
	for c := c0; c < c1; c++ {
		if ph > cells[c] {
			cells[c] = ph
		}
	}
}

// rowsSummary says, for each row of the task stream, what ran in it: the
// task and its storage bytes and time (one task a row), or how many tasks,
// their bytes, and the task that moved the most.
func rowsSummary(bs []bar, lane []int, n, rows int, what string) []string {
	type sum struct {
		tasks         int
		read, written int64
		busy          float64
		task          string
		top           *bar
	}
	sums := make([]sum, rows)
	for i := range bs {
		b := &bs[i]
		s := &sums[lane[i]*rows/n]
		if b.task == "" { // in flight
			continue
		}
		s.tasks++
		s.read += b.read
		s.written += b.written
		s.busy += b.end - b.invoked
		s.task = b.task
		if s.top == nil || b.read+b.written > s.top.read+s.top.written {
			s.top = b
		}
	}
	out := make([]string, rows)
	for r, s := range sums {
		switch {
		case s.tasks == 0:
			out[r] = "in flight"
		case what == "task":
			out[r] = fmt.Sprintf("%s: %s read, %s written, %s", s.task, formatBytes(s.read), formatBytes(s.written), formatSeconds(s.busy))
		default:
			out[r] = fmt.Sprintf("%d tasks: %s read, %s written; the most, %s: %s read, %s written", s.tasks,
				formatBytes(s.read), formatBytes(s.written), s.top.task, formatBytes(s.top.read), formatBytes(s.top.written))
		}
	}
	return out
}

// rowTitles lays an invisible strip with a tooltip over each row.
func rowTitles(s *svg, p area, rh float64, titles []string) {
	for r, t := range titles {
		s.rectTitle(p.x, p.y+float64(r)*rh, p.w, max(rh, 0.8), "hit", t)
	}
}
