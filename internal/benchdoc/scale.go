package benchdoc

import (
	"fmt"
	"strings"
)

// scaleBench prefixes the names of BenchmarkTenMillionTasks's runs.
const scaleBench = "BenchmarkTenMillionTasks/"

// ScaleSection is every run of BenchmarkTenMillionTasks: per scenario,
// the driver's peak RSS and the journal per task, the run's wall time,
// and, on a second run interrupted half way, SIGINT to exit and jobs
// show and list.
func ScaleSection(r *Results) string {
	var p provenance
	t := newTable("tasks", "scenario", "peak RSS B/task", "journal B/task", "wall s", "SIGINT to exit s", "jobs show s", "jobs list s", "load", "file")
	for i := range r.GoBenches {
		g := &r.GoBenches[i]
		for _, b := range g.Benchmarks {
			kind, ok := strings.CutPrefix(b.Name, scaleBench)
			if !ok {
				continue
			}
			p.add(&g.Header)
			if b.Failed {
				t.row("–", kind, "**failed**: "+b.Error, "", "", "", "", "", load(&g.Header), g.File)
				continue
			}
			m := b.Metrics
			t.row(thousands(int(m["tasks"])), kind, fmt.Sprintf("%.0f", m["rss-B/task"]), fmt.Sprintf("%.0f", m["journal-B/task"]),
				fmt.Sprintf("%.1f", m["wall-s"]), fmt.Sprintf("%.2f", m["sigint-s"]), fmt.Sprintf("%.2f", m["show-s"]),
				fmt.Sprintf("%.2f", m["list-s"]), load(&g.Header), g.File)
		}
	}
	return section(&p, t)
}

func isScaleRun(g *GoBench) bool {
	for _, b := range g.Benchmarks {
		if strings.HasPrefix(b.Name, scaleBench) {
			return true
		}
	}
	return false
}
