package benchdoc

import (
	"fmt"
	"slices"
)

// simDataBenches are the benchmarks of jobs on the sim with their data in
// versitygw and in a directory, each with the job it runs.
var simDataBenches = []struct{ name, job string }{
	{"BenchmarkWordcountOnSimS3", "word count"},
	{"BenchmarkSortOnSimS3", "sort"},
}

// isSimDataBench tells whether a benchmark has a row in SimDataSection.
func isSimDataBench(name string) bool {
	return slices.ContainsFunc(simDataBenches, func(b struct{ name, job string }) bool { return b.name == name })
}

// SimDataSection is every run of the jobs on the in-process sim with data
// in versitygw and in a directory: the sim's settings the run recorded,
// both rates, the share of the S3 run's wall and task time the directory
// run did not need, and the S3 requests and bytes per GB of input.
func SimDataSection(r *Results) string {
	var p provenance
	t := newTable("job", "input", "sim (in-process)", "S3 MB/s", "directory MB/s", "S3 share of wall time", "S3 share of task time",
		"S3 requests per GB", "storage GB per GB", "load", "file")
	for _, bench := range simDataBenches {
		for _, b := range r.find(bench.name) {
			p.add(&b.run.Header)
			if b.Failed {
				t.row(bench.job, "**failed**: "+b.Error, "", "", "", "", "", "", "", load(&b.run.Header), b.run.File)
				continue
			}
			m := b.Metrics
			t.row(bench.job, recorded(m, "MB", "%.0f MB"), simSettings(m), recorded(m, "s3-MB/s", "%.1f"), recorded(m, "file-MB/s", "%.1f"),
				percent(m, "s3-share"), percent(m, "s3-task-share"), count(m, "requests/GB"), recorded(m, "storage-GB/GB", "%.2f"),
				load(&b.run.Header), b.run.File)
		}
	}
	return section(&p, t)
}

// simSettings prints the sim's settings a run recorded.
func simSettings(m map[string]float64) string {
	cold, ok1 := m["sim-cold-start-ms"]
	latency, ok2 := m["sim-api-latency-ms"]
	conc, ok3 := m["sim-concurrency"]
	if !ok1 || !ok2 || !ok3 {
		return "settings not recorded"
	}
	return fmt.Sprintf("cold start %.0f ms, API latency %.0f ms, %.0f activations at once", cold, latency, conc)
}

// recorded prints metric k with format, or a dash when the run did not
// record it.
func recorded(m map[string]float64, k, format string) string {
	v, ok := m[k]
	if !ok {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

// count prints a whole number with thousands separators, or a dash.
func count(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "–"
	}
	return thousands(int(v + 0.5))
}

// percent prints a share as a percentage, or a dash.
func percent(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}
