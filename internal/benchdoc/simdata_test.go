package benchdoc

import (
	"strings"
	"testing"
)

func TestSimDataSectionRowPerRunWithItsSettings(t *testing.T) {
	wc := map[string]float64{"MB": 256, "s3-MB/s": 20.04, "file-MB/s": 25, "s3-share": 0.1984, "s3-task-share": -0.05,
		"requests/GB": 900.4, "storage-GB/GB": 1.456, "sim-cold-start-ms": 0, "sim-api-latency-ms": 20, "sim-concurrency": 32, "ns/op": 3e10}
	oldSort := map[string]float64{"s3-MB/s": 23.83, "file-MB/s": 23.2, "s3-share": -0.02706, "requests/GB": 12480, "storage-GB/GB": 4.046}
	r := &Results{GoBenches: []GoBench{
		goBenchRun("sort.json", "go test -bench SortOnSimS3 ./cli", Benchmark{Name: "BenchmarkSortOnSimS3", Iterations: 1, Metrics: oldSort}),
		goBenchRun("wc.json", "go test -bench WordcountOnSimS3 ./cli",
			Benchmark{Name: "BenchmarkWordcountOnSimS3", Iterations: 2, Metrics: wc},
			Benchmark{Name: "BenchmarkWordcountOnSimS3", Failed: true, Error: "gen text: no word list"}),
		goBenchRun("other.json", "go test -bench SchedulerOverhead .", Benchmark{Name: "BenchmarkSchedulerOverhead/encoded", Iterations: 1, Metrics: map[string]float64{"µs/task": 1.5}}),
	}}
	out := SimDataSection(r)
	for _, want := range []string{
		"go test -bench WordcountOnSimS3 ./cli\ngo test -bench SortOnSimS3 ./cli\n",
		"| word count | 256 MB | cold start 0 ms, API latency 20 ms, 32 activations at once | 20.0 | 25.0 | 19.8% | -5.0% | 900 | 1.46 | 1.50 | wc.json |",
		"| word count | **failed**: gen text: no word list |",
		"| sort | – | settings not recorded | 23.8 | 23.2 | -2.7% | – | 12,480 | 4.05 | 1.50 | sort.json |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SchedulerOverhead") {
		t.Errorf("another benchmark in the section:\n%s", out)
	}
	if g := GoBenchSection(r); strings.Contains(g, "OnSimS3") || !strings.Contains(g, "SchedulerOverhead") {
		t.Errorf("the Go benchmarks' table should hold all but the sim data runs:\n%s", g)
	}
	if got := SimDataSection(&Results{}); got != "No recorded run.\n" {
		t.Errorf("no runs gave %q", got)
	}
}
