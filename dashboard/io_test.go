package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
)

// TestReportShowsTaskIO draws a job whose tasks read and wrote storage:
// each task's row says its bytes, the I/O panel their totals and rate,
// and its chart is drawn.
func TestReportShowsTaskIO(t *testing.T) {
	d := sampleJob()
	r := d.Maps[0]
	for i, io := range [][2]int64{{1500, 20}, {2_500_000, 0}, {0, 0}, {7, 3_000_000_000}} {
		rec := r.Records.At(i)
		rec.ReadBytes, rec.WrittenBytes = io[0], io[1]
		r.Records.Set(i, &rec)
	}
	r.ReadBytes, r.WrittenBytes = 9_000_000, 3_000_000_020 // a retried attempt read more
	var b strings.Builder
	if err := WriteReport(&b, d); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, want := range []string{
		"t 0: 1.5 kB read, 20 B written",
		"t 1: 2.5 MB read, 0 B written",
		"t 3: 7 B read, 3 GB written",
		"2.5 MB read, 3 GB written by 3 tasks (at most 2.5 MB and 3 GB a task)",
		"/s read, ",
		"with retried and losing attempts, 9 MB read and 3 GB written",
		`class="io-read"`, `class="io-written"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(doc, "not recorded") {
		t.Error("the report still says I/O is not recorded")
	}
}

// TestSpreadKeepsBytes spreads bytes over buckets: their sum, back in
// bytes, is what was spread, wherever the span falls.
func TestSpreadKeepsBytes(t *testing.T) {
	for _, c := range [][2]float64{{0, 10}, {0.05, 0.07}, {3.3, 3.3}, {9.9, 12}, {-1, 0.5}} {
		rate := make([]float64, 10)
		spread(rate, c[0], c[1], 1000, 1)
		sum := 0.0
		for _, v := range rate {
			sum += v
		}
		if sum < 999.999 || sum > 1000.001 {
			t.Errorf("spread over [%v, %v]: %v bytes, want 1000", c[0], c[1], sum)
		}
	}
}

// TestFinishedJobDrawsWindow draws the window a finished job's journal
// holds, as a live job's samples are drawn, instead of its concurrency.
func TestFinishedJobDrawsWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s float64) int64 { return t0.Add(time.Duration(s * float64(time.Second))).UnixNano() }
	tasks := make([]journal.Task, 8)
	for i := range tasks {
		tasks[i] = journal.Task{State: journal.TaskDone, Attempts: 1, Record: &overcast.TaskRecord{State: overcast.Done,
			Invoked: at(float64(i)), Returned: at(float64(i) + 1.5), Attempts: 1}}
	}
	j := &journal.Job{Summary: journal.Summary{ID: "w1", State: journal.Done, Tasks: 8, DoneTasks: 8, Started: t0},
		Maps: []*journal.Map{{Task: "t", N: 8, Tasks: tasks,
			Report: &journal.MapReport{Backend: "sim", Concurrency: 64, Start: t0, End: t0.Add(10 * time.Second)},
			Window: []journal.WindowSample{{Time: t0.Add(-time.Second), Window: 16, MaxWindow: 16},
				{Time: t0.Add(3 * time.Second), Window: 8, MaxWindow: 12}, {Time: t0.Add(5 * time.Second), Window: 9, MaxWindow: 12}}}}}
	d := FromJournal(j)
	if len(d.Flow) != 3 {
		t.Fatalf("flow %+v, want the journal's 3 samples", d.Flow)
	}
	doc := drawn(t, d)
	inflight := doc[strings.Index(doc, `aria-label="tasks in flight"`):]
	inflight = inflight[:strings.Index(inflight, "</svg>")]
	if !strings.Contains(inflight, `class="window"`) || !strings.Contains(inflight, "platform limit 12") {
		t.Errorf("the in-flight chart lacks the window or its limit: %s", inflight)
	}
	if strings.Contains(inflight, "concurrency 64") {
		t.Error("the in-flight chart draws the concurrency bound, not the window")
	}
	if !strings.Contains(doc, "adaptive window") {
		t.Error("the legend lacks the adaptive window")
	}
	xs, ys := windowSteps(d.Flow, d.origin(), 9.5)
	wantX, wantY := []float64{0, 3, 3, 5, 5, 9.5}, []float64{16, 16, 8, 8, 9, 9}
	for k := range wantX {
		if k >= len(xs) || xs[k] != wantX[k] || ys[k] != wantY[k] {
			t.Fatalf("steps %v %v, want %v %v", xs, ys, wantX, wantY)
		}
	}
}

func drawn(t *testing.T, d *Job) string {
	t.Helper()
	var b strings.Builder
	if err := WriteReport(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
