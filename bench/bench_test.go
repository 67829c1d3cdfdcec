package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func isPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG", path)
	}
}

func TestScalingLocal(t *testing.T) {
	for _, mode := range []string{Strong, Weak} {
		t.Run(mode, func(t *testing.T) {
			rows, err := Scaling(context.Background(), &URLTarget{URL: "local"},
				&ScalingOptions{Workload: WorkloadPi, Mode: mode, Tasks: []int{1, 2}, Work: 1e5})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[0].Tasks != 1 || rows[1].Tasks != 2 {
				t.Fatalf("rows %+v", rows)
			}
			for _, r := range rows {
				if r.WallSeconds <= 0 || r.Speedup <= 0 || r.Efficiency <= 0 || r.FailedTasks != 0 {
					t.Errorf("row %+v", r)
				}
			}
			want := map[string]float64{Strong: 1e5 / 2, Weak: 1e5}[mode]
			if rows[1].WorkPerTask != want {
				t.Errorf("work per task %g, want %g", rows[1].WorkPerTask, want)
			}
			path := filepath.Join(t.TempDir(), "scaling.png")
			if err := ScalingPlot(rows, mode, "pi on local", path, 2); err != nil {
				t.Fatal(err)
			}
			isPNG(t, path)
		})
	}
}

func TestScalingRejectsBadOptions(t *testing.T) {
	tests := []ScalingOptions{
		{Workload: WorkloadPi, Mode: "sideways", Tasks: []int{1}, Work: 10},
		{Workload: "nope", Mode: Weak, Tasks: []int{1}, Work: 10},
		{Workload: WorkloadPi, Mode: Weak, Work: 10},
		{Workload: WorkloadPi, Mode: Weak, Tasks: []int{0}, Work: 10},
		{Workload: WorkloadPi, Mode: Weak, Tasks: []int{1}},
		{Workload: WorkloadPi, Mode: Strong, Tasks: []int{20}, Work: 10},
	}
	for _, o := range tests {
		if _, err := Scaling(context.Background(), &URLTarget{URL: "local"}, &o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestCompare(t *testing.T) {
	base := ScalingRow{Tasks: 1, WallSeconds: 8}
	tests := []struct {
		mode     string
		row      ScalingRow
		speed, e float64
	}{
		{Strong, ScalingRow{Tasks: 4, WallSeconds: 2}, 4, 1},
		{Strong, ScalingRow{Tasks: 4, WallSeconds: 4}, 2, 0.5},
		{Weak, ScalingRow{Tasks: 4, WallSeconds: 8}, 4, 1},
		{Weak, ScalingRow{Tasks: 10, WallSeconds: 10}, 8, 0.8},
		{Weak, ScalingRow{Tasks: 10}, 0, 0},
	}
	for _, tt := range tests {
		s, e := compare(tt.mode, base, tt.row)
		if s != tt.speed || e != tt.e {
			t.Errorf("%s %+v: speedup %g efficiency %g, want %g %g", tt.mode, tt.row, s, e, tt.speed, tt.e)
		}
	}
}

func TestFanoutSim(t *testing.T) {
	target := &SimTarget{APILatency: 5 * time.Millisecond}
	o := &FanoutOptions{Tasks: 50, TaskMS: 50}
	r, err := Fanout(context.Background(), target, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFanout(t, r, o)
	if r.LastAcceptedSeconds <= 0 || r.LastAcceptedSeconds > r.MakespanSeconds {
		t.Errorf("last accepted at %g s, makespan %g s", r.LastAcceptedSeconds, r.MakespanSeconds)
	}
	path := filepath.Join(t.TempDir(), "fanout.png")
	if err := FanoutPlot([]*FanoutResult{r}, map[int]float64{50: 1}, "fan-out", path); err != nil {
		t.Fatal(err)
	}
	isPNG(t, path)
}

func checkFanout(t *testing.T, r *FanoutResult, o *FanoutOptions) {
	t.Helper()
	if r.Tasks != o.Tasks || r.TaskMS != o.TaskMS || r.FailedTasks != 0 {
		t.Fatalf("result %+v", r)
	}
	if r.TimeToAllRunningSeconds <= 0 || r.MakespanSeconds < r.TimeToAllRunningSeconds || r.InvocationsPerSecond <= 0 {
		t.Errorf("times: %+v", r)
	}
	if r.MaxRunning < 1 || r.MaxRunning > o.Tasks {
		t.Errorf("max running %d", r.MaxRunning)
	}
	if last := r.Curve[len(r.Curve)-1]; last.N != 0 || len(r.Curve) != 2*o.Tasks+1 {
		t.Errorf("curve of %d points ends at %+v", len(r.Curve), last)
	}
}

func TestNaiveSim(t *testing.T) {
	target := &SimTarget{}
	s, err := target.Start(10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := &NaiveOptions{FanoutOptions: FanoutOptions{Tasks: 10, TaskMS: 20}, PollEvery: 30 * time.Millisecond}
	r, err := Naive(context.Background(), s.Config, SimAction, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Client != "naive" {
		t.Errorf("client %q", r.Client)
	}
	checkFanout(t, r, &o.FanoutOptions)
}

func TestOverhead(t *testing.T) {
	rows, err := Overhead(context.Background(), OverheadURLs, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(OverheadURLs) {
		t.Fatalf("rows %+v", rows)
	}
	for i, r := range rows {
		if r.Backend != OverheadURLs[i] || r.Tasks != 1000 || r.MicrosPerTask <= 0 {
			t.Errorf("row %+v", r)
		}
	}
}

func TestRunningCurve(t *testing.T) {
	curve, most := runningCurve([]int64{0, 10, 20}, []int64{30, 20, 40})
	want := []int{0, 1, 2, 1, 2, 1, 0}
	if most != 2 || len(curve) != len(want) {
		t.Fatalf("curve %+v, most %d", curve, most)
	}
	for i, p := range curve {
		if p.N != want[i] {
			t.Errorf("point %d: %+v, want %d", i, p, want[i])
		}
	}
}

func TestResample(t *testing.T) {
	curve := []Point{{0, 0}, {1, 5}, {2, 3}, {4, 0}}
	if xys := resample(curve, 4, 10, false); len(xys) != 7 {
		t.Errorf("short curve: %d points, want steps of 7", len(xys))
	}
	xys := resample(curve, 4, 2, false)
	want := []float64{0, 3, 0}
	if len(xys) != 3 {
		t.Fatalf("%d points", len(xys))
	}
	for i, p := range xys {
		if p.Y != want[i] || p.X != float64(2*i) {
			t.Errorf("point %d: %+v, want (%d, %g)", i, p, 2*i, want[i])
		}
	}
}

func TestMachine(t *testing.T) {
	m := ThisMachine()
	if m.Cores < 1 || m.GOMAXPROCS < 1 || m.GoVersion == "" || m.String() == "" {
		t.Errorf("%+v", m)
	}
	if got := cpuModel(filepath.Join(t.TempDir(), "missing")); got != "" {
		t.Errorf("cpu of a missing file: %q", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{7: "7", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
