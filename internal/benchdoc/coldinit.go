package benchdoc

import (
	"fmt"
	"slices"
	"strings"
)

// Benchmarks with a section of their own, left out of the table of Go
// benchmarks.
const (
	coldInitBench      = "BenchmarkColdInit"
	coldInitStepsBench = "BenchmarkColdInitSteps"
	fractionBench      = "BenchmarkFanoutFraction"
)

// coldVariants are BenchmarkColdInit's worker builds in the order the
// table shows them, each with what it is.
var coldVariants = []struct{ name, what string }{
	{"old", "old: `go build`, no flags, deflate default"},
	{"stripped", "`-trimpath -ldflags=-s -w`"},
	{"old+Strip", "old build put through `deploy.Strip` (what deploy uploads of such a running binary)"},
	{"new", "**new** (`deploy.BuildFlags`), deflate default"},
	{"best", "new, deflate level 9"},
}

// coldSteps are BenchmarkColdInitSteps' steps in the proxy's order.
var coldSteps = []string{"json", "base64", "unzip", "start+ack"}

// ColdInitSection is every run of BenchmarkColdInit, a row per worker
// build, and every run of BenchmarkColdInitSteps, a row per run.
func ColdInitSection(r *Results) string {
	var p provenance
	builds := newTable("worker build (linux/amd64, CGO_ENABLED=0)", "exec MB", "zip MB", "cold /init ms", "init vs old", "pack ms", "iterations", "load", "file")
	for _, b := range r.find(coldInitBench) {
		p.add(&b.run.Header)
		if b.Failed {
			builds.row("**failed**: "+b.Error, "", "", "", "", "", "", load(&b.run.Header), b.run.File)
			continue
		}
		m := b.Metrics
		old := m["old-init-ms"]
		for _, v := range variantNames(m) {
			vsOld := "–"
			if old > 0 {
				vsOld = fmt.Sprintf("%.2f×", m[v+"-init-ms"]/old)
			}
			builds.row(variantWhat(v), fmt.Sprintf("%.2f", m[v+"-exec-MB"]), fmt.Sprintf("%.2f", m[v+"-zip-MB"]),
				thousands(int(m[v+"-init-ms"]+0.5)), vsOld, thousands(int(m[v+"-pack-ms"]+0.5)), fmt.Sprint(b.Iterations), load(&b.run.Header), b.run.File)
		}
	}
	steps := newTable(append(stepColumns(coldSteps), "sum ms", "iterations", "load", "file")...)
	for _, b := range r.find(coldInitStepsBench) {
		p.add(&b.run.Header)
		if b.Failed {
			steps.row(append([]string{"**failed**: " + b.Error}, make([]string, len(coldSteps)+3)...)...)
			continue
		}
		var cells []string
		sum := 0.0
		for _, s := range coldSteps {
			v := b.Metrics[s+"-ms"]
			sum += v
			cells = append(cells, fmt.Sprintf("%.0f", v))
		}
		steps.row(append(cells, fmt.Sprintf("%.0f", sum), fmt.Sprint(b.Iterations), load(&b.run.Header), b.run.File)...)
	}
	if builds.rows == 0 && steps.rows == 0 {
		return "No recorded run.\n"
	}
	return p.String() + "\n" + builds.String() + "\nWhere a cold `/init` of the new zip goes (`" + coldInitStepsBench + "`), ms per `/init`:\n\n" + orNone(steps)
}

// variantNames are the builds a BenchmarkColdInit result has: the known
// ones in order, then any other, sorted.
func variantNames(m map[string]float64) []string {
	var out []string
	for _, v := range coldVariants {
		if _, ok := m[v.name+"-init-ms"]; ok {
			out = append(out, v.name)
		}
	}
	var other []string
	for k := range m {
		if v, ok := strings.CutSuffix(k, "-init-ms"); ok && !slices.Contains(out, v) {
			other = append(other, v)
		}
	}
	slices.Sort(other)
	return append(out, other...)
}

func variantWhat(name string) string {
	for _, v := range coldVariants {
		if v.name == name {
			return v.what
		}
	}
	return "`" + name + "`"
}

func stepColumns(steps []string) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s + " ms"
	}
	return out
}

func orNone(t *table) string {
	if t.rows == 0 {
		return "No recorded run.\n"
	}
	return t.String()
}

// FractionSection is every measurement of BenchmarkFanoutFraction.
func FractionSection(r *Results) string {
	var p provenance
	t := newTable("inv/s", "loopback before / after req/s", "fraction", "CPU µs per task", "CPU µs per loopback request", "task / request",
		"allocs per task", "all running s", "load", "file")
	for _, b := range r.find(fractionBench) {
		p.add(&b.run.Header)
		if b.Failed {
			t.row("**failed**: "+b.Error, "", "", "", "", "", "", "", load(&b.run.Header), b.run.File)
			continue
		}
		m := b.Metrics
		per := "–"
		if req := m["cpu_µs/loopback_req"]; req > 0 {
			per = fmt.Sprintf("%.1f×", m["cpu_µs/task"]/req)
		}
		t.row(thousands(int(m["inv/s"]+0.5)),
			thousands(int(m["loopback_before_req/s"]+0.5))+" / "+thousands(int(m["loopback_after_req/s"]+0.5)),
			fmt.Sprintf("%.3f", m["fraction"]), fmt.Sprintf("%.0f", m["cpu_µs/task"]), fmt.Sprintf("%.0f", m["cpu_µs/loopback_req"]), per,
			fmt.Sprintf("%.1f", m["allocs/task"]), fmt.Sprintf("%.3f", m["all_running_s"]), load(&b.run.Header), b.run.File)
	}
	return section(&p, t)
}

// ownSection tells whether a run's benchmarks have a section of their
// own rather than a row in the table of Go benchmarks.
func ownSection(g *GoBench) bool {
	if isFaultRun(g) || isScaleRun(g) {
		return true
	}
	for _, b := range g.Benchmarks {
		switch {
		case b.Name == coldInitBench, b.Name == coldInitStepsBench, b.Name == fractionBench, isSimDataBench(b.Name):
			return true
		}
	}
	return false
}
