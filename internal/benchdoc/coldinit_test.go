package benchdoc

import (
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/bench"
)

func goBenchRun(file, command string, bs ...Benchmark) GoBench {
	return GoBench{Kind: KindGoBench, Benchmarks: bs, File: file,
		Header: Header{Command: command, Note: "test", Machine: bench.Machine{Cores: 2, GoVersion: "go1.26.8", CPU: "Test CPU", Load: "1.50 1.00 1.00"}}}
}

func TestColdInitSectionRowsPerBuildAndStep(t *testing.T) {
	r := &Results{GoBenches: []GoBench{
		goBenchRun("cold.json", "go test -bench ColdInit$ ./deploy", Benchmark{Name: coldInitBench, Iterations: 4, Metrics: map[string]float64{
			"old-exec-MB": 34.18, "old-zip-MB": 16.9, "old-init-ms": 1200, "old-pack-ms": 2000,
			"new-exec-MB": 19.88, "new-zip-MB": 8.514, "new-init-ms": 600.4, "new-pack-ms": 1500,
			"extra-exec-MB": 1, "extra-zip-MB": 1, "extra-init-ms": 300, "extra-pack-ms": 10,
			"new/old-init": 0.5, "ns/op": 1e9,
		}}),
		goBenchRun("steps.json", "go test -bench ColdInitSteps ./deploy",
			Benchmark{Name: coldInitStepsBench, Iterations: 10, Metrics: map[string]float64{"json-ms": 200, "base64-ms": 50.4, "unzip-ms": 400, "start+ack-ms": 30}},
			Benchmark{Name: coldInitStepsBench, Failed: true, Error: "proxy did not start"}),
		goBenchRun("other.json", "go test -bench SchedulerOverhead .", Benchmark{Name: "BenchmarkSchedulerOverhead/encoded", Iterations: 1, Metrics: map[string]float64{"µs/task": 1.5}}),
	}}
	out := ColdInitSection(r)
	for _, want := range []string{
		"go test -bench ColdInit$ ./deploy\ngo test -bench ColdInitSteps ./deploy\n",
		"| old: `go build`, no flags, deflate default | 34.18 | 16.90 | 1,200 | 1.00× | 2,000 | 4 | 1.50 | cold.json |",
		"| **new** (`deploy.BuildFlags`), deflate default | 19.88 | 8.51 | 600 | 0.50× | 1,500 | 4 | 1.50 | cold.json |",
		"| `extra` | 1.00 | 1.00 | 300 | 0.25× | 10 | 4 | 1.50 | cold.json |",
		"| json ms | base64 ms | unzip ms | start+ack ms | sum ms |",
		"| 200 | 50 | 400 | 30 | 680 | 10 | 1.50 | steps.json |",
		"| **failed**: proxy did not start |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "old: `go build`") > strings.Index(out, "**new**") || strings.Index(out, "**new**") > strings.Index(out, "`extra`") {
		t.Errorf("builds out of order:\n%s", out)
	}
	if strings.Contains(out, "SchedulerOverhead") {
		t.Errorf("another benchmark in the section:\n%s", out)
	}
	g := GoBenchSection(r)
	if strings.Contains(g, "ColdInit") || !strings.Contains(g, "SchedulerOverhead") {
		t.Errorf("the Go benchmarks' table should hold all but cold init:\n%s", g)
	}
	if got := ColdInitSection(&Results{}); got != "No recorded run.\n" {
		t.Errorf("no runs gave %q", got)
	}
}

func TestFractionSectionRowPerMeasurement(t *testing.T) {
	m := map[string]float64{"inv/s": 4999.6, "loopback_before_req/s": 12000, "loopback_after_req/s": 8000, "fraction": 0.49996,
		"cpu_µs/task": 300, "cpu_µs/loopback_req": 75, "allocs/task": 214.46, "all_running_s": 2.5}
	r := &Results{GoBenches: []GoBench{goBenchRun("fraction.json", "go test -bench FanoutFraction ./bench",
		Benchmark{Name: fractionBench, Iterations: 1, Metrics: m},
		Benchmark{Name: fractionBench, Failed: true, Error: "3 tasks failed"})}}
	out := FractionSection(r)
	for _, want := range []string{
		"go test -bench FanoutFraction ./bench",
		"Machine: Test CPU, 2 cores, go1.26.8; test.",
		"| 5,000 | 12,000 / 8,000 | 0.500 | 300 | 75 | 4.0× | 214.5 | 2.500 | 1.50 | fraction.json |",
		"| **failed**: 3 tasks failed |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
	if g := GoBenchSection(r); strings.Contains(g, "FanoutFraction") {
		t.Errorf("the fraction runs in the Go benchmarks' table:\n%s", g)
	}
	if got := FractionSection(&Results{}); got != "No recorded run.\n" {
		t.Errorf("no runs gave %q", got)
	}
}
