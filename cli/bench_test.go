package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/bench"
)

// runInProcess runs the CLI in this process and returns stdout, stderr and
// the exit code.
func runInProcess(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// hasPrefix checks that a file exists and starts with magic.
func hasPrefix(t *testing.T, path, magic string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(magic)) {
		t.Errorf("%s starts with %q, want %q", path, b[:min(len(b), 8)], magic)
	}
}

type benchHeaderJSON struct {
	Machine struct {
		Cores     int    `json:"cores"`
		GoVersion string `json:"go_version"`
	} `json:"machine"`
	Command string `json:"command"`
}

func (h *benchHeaderJSON) check(t *testing.T, sub string) {
	t.Helper()
	if h.Machine.Cores < 1 || h.Machine.GoVersion == "" || !strings.HasPrefix(h.Command, "overcast bench "+sub) {
		t.Errorf("header %+v", h)
	}
}

func TestBenchScalingJSONAndPlots(t *testing.T) {
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "s.png"), filepath.Join(dir, "s.svg")
	out, errOut, code := runInProcess(t, "bench", "scaling", "--backend", "local", "--tasks", "1,2", "--mode", "strong",
		"--samples", "1e5", "--json", "--plot", png, "--plot", svg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("stdout is not a JSON array of rows (%v): %s", err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %s", out)
	}
	for _, row := range rows {
		for _, k := range []string{"tasks", "wall_seconds", "speedup", "efficiency"} {
			if v, ok := row[k].(float64); !ok || v <= 0 {
				t.Errorf("row %v: %s = %v", row, k, row[k])
			}
		}
		if row["mode"] != "strong" || row["backend"] != "local" {
			t.Errorf("row %v: mode or backend", row)
		}
	}
	if !strings.Contains(errOut, "--plot="+png) || !strings.Contains(errOut, "--plot="+svg) || !strings.Contains(errOut, "machine: ") {
		t.Errorf("stderr %q lacks the machine or the command with the plots", errOut)
	}
	hasPrefix(t, png, "\x89PNG")
	hasPrefix(t, svg, "<?xml")
}

type fanoutJSON struct {
	benchHeaderJSON
	Tasks             int     `json:"tasks"`
	TimeToAllRunning  float64 `json:"time_to_all_running_seconds"`
	Makespan          float64 `json:"makespan_seconds"`
	InvocationsPerSec float64 `json:"invocations_per_second"`
	FailedTasks       *int    `json:"failed_tasks"`
	Loopback          float64 `json:"loopback_requests_per_second"`
	OfLoopback        float64 `json:"fraction_of_loopback"`
	Model             struct {
		ColdStartMS      *int    `json:"cold_start_ms"`
		APILatencyMS     int     `json:"api_latency_ms"`
		RequestRate      float64 `json:"request_rate"`
		ConcurrencyLimit int     `json:"concurrency_limit"`
		ContainerMode    string  `json:"container_mode"`
		SimProcess       string  `json:"sim_process"`
	} `json:"model"`
}

// check checks a run of tasks on the sim at 5 ms API latency and the
// default cold start and request rate.
func (f *fanoutJSON) check(t *testing.T, tasks int) {
	t.Helper()
	f.benchHeaderJSON.check(t, "fanout")
	if f.Tasks != tasks || f.FailedTasks == nil || *f.FailedTasks != 0 || f.TimeToAllRunning <= 0 || f.Makespan < f.TimeToAllRunning || f.InvocationsPerSec <= 0 {
		t.Errorf("fanout %+v", f)
	}
	if f.Loopback <= 0 || math.Abs(f.OfLoopback*f.Loopback-f.InvocationsPerSec) > 1e-6*f.InvocationsPerSec {
		t.Errorf("loopback %g/s, fraction %g, invocations %g/s", f.Loopback, f.OfLoopback, f.InvocationsPerSec)
	}
	m := f.Model
	if m.ColdStartMS == nil || *m.ColdStartMS != int(bench.DefaultColdStart.Milliseconds()) || m.APILatencyMS != 5 ||
		m.RequestRate != bench.DefaultRequestRate || m.ConcurrencyLimit != max(tasks, 1000) || m.ContainerMode != "inproc" {
		t.Errorf("model %+v", m)
	}
}

func TestBenchFanoutJSON(t *testing.T) {
	png := filepath.Join(t.TempDir(), "f.png")
	out, errOut, code := runInProcess(t, "bench", "fanout", "--backend", "sim", "--tasks", "50", "--task-ms", "50",
		"--api-latency-ms", "5", "--json", "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var one fanoutJSON
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatalf("one task count should print one object: %v: %s", err, out)
	}
	one.check(t, 50)
	hasPrefix(t, png, "\x89PNG")

	out, errOut, code = runInProcess(t, "bench", "fanout", "--tasks", "20,30", "--task-ms", "10", "--api-latency-ms", "5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var many []fanoutJSON
	if err := json.Unmarshal([]byte(out), &many); err != nil {
		t.Fatalf("several task counts should print an array: %v: %s", err, out)
	}
	if len(many) != 2 {
		t.Fatalf("%d objects", len(many))
	}
	many[0].check(t, 20)
	many[1].check(t, 30)
	if many[0].Model.SimProcess != bench.SimInProcess {
		t.Errorf("sim process %q by default", many[0].Model.SimProcess)
	}
}

// The sim as its own process: the binary starts "overcast sim" on a free
// port, runs the tasks on it and stops it.
func TestBenchFanoutSeparateSim(t *testing.T) {
	out, errOut, code := runBin(t, "bench", "fanout", "--sim-process", "separate", "--tasks", "40", "--task-ms", "20",
		"--api-latency-ms", "5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var f fanoutJSON
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	f.check(t, 40)
	if f.Model.SimProcess != bench.SimSeparate {
		t.Errorf("sim process %q", f.Model.SimProcess)
	}
}

// The table names the model and has a failed-task column.
func TestBenchScalingTableOnTheSim(t *testing.T) {
	out, errOut, code := runInProcess(t, "bench", "scaling", "--backend", "sim", "--mode", "weak", "--tasks", "1,4",
		"--task-ms", "10", "--cold-start-ms", "0", "--api-latency-ms", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"model:   cold start 0 ms, API latency 1 ms, API rate 10,000/s", "in-process", " failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchFanoutNaiveTable(t *testing.T) {
	out, errOut, code := runInProcess(t, "bench", "fanout", "--tasks", "5", "--task-ms", "10", "--api-latency-ms", "1",
		"--naive", "--poll-every", "20ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"machine: ", "command: overcast bench fanout", " overcast ", " naive "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchOverheadJSON(t *testing.T) {
	out, errOut, code := runInProcess(t, "bench", "overhead", "--tasks", "1000", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		benchHeaderJSON
		Rows []struct {
			Backend string  `json:"backend"`
			Tasks   int     `json:"tasks"`
			Micros  float64 `json:"us_per_task"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	rep.check(t, "overhead")
	if len(rep.Rows) != 2 || rep.Rows[0].Tasks != 1000 || rep.Rows[0].Micros <= 0 || rep.Rows[1].Backend != "local://?encode=false" {
		t.Errorf("rows %+v", rep.Rows)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	tests := [][]string{
		{"scaling", "--mode", "sideways"},
		{"scaling", "--workload", "primes"},
		{"scaling", "--tasks", "1,0"},
		{"scaling", "--tasks", "one"},
		{"scaling", "--backend", "sim", "--mode", "strong"},
		{"scaling", "--backend", "nowhere"},
		{"fanout", "--naive", "--backend", "local"},
		{"fanout", "--task-ms", "-1"},
		{"fanout", "--sim-process", "elsewhere"},
		{"fanout", "--request-rate", "-5"},
		{"overhead", "--tasks", "0"},
	}
	for _, args := range tests {
		_, errOut, code := runInProcess(t, append([]string{"bench"}, args...)...)
		if code != 2 || !strings.HasPrefix(errOut, "overcast: ") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
}
