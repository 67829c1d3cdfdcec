package benchdoc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/overcast-sc/overcast/bench"
)

// table builds a markdown table.
type table struct {
	b    strings.Builder
	rows int
}

func newTable(cols ...string) *table {
	t := &table{}
	t.row(cols...)
	t.b.WriteString("|" + strings.Repeat("---|", len(cols)) + "\n")
	t.rows = 0
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	t.rows++
}

func (t *table) String() string { return t.b.String() }

// provenance lists the distinct commands and machines of a section's
// runs, so that every number carries how to reproduce it and where.
type provenance struct {
	commands, machines []string
}

func (p *provenance) add(h *Header) {
	if !slices.Contains(p.commands, h.Command) {
		p.commands = append(p.commands, h.Command)
	}
	m := h.Machine
	s := fmt.Sprintf("%s, %d cores, %s", orUnknown(m.CPU), m.Cores, m.GoVersion)
	if h.Note != "" {
		s += "; " + h.Note
	}
	if !slices.Contains(p.machines, s) {
		p.machines = append(p.machines, s)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown CPU"
	}
	return s
}

// section is a section's provenance and table, or a line saying there
// is no run.
func section(p *provenance, t *table) string {
	if t.rows == 0 {
		return "No recorded run.\n"
	}
	return p.String() + "\n" + t.String()
}

func (p *provenance) String() string {
	var b strings.Builder
	b.WriteString("```sh\n")
	for _, c := range p.commands {
		b.WriteString(c + "\n")
	}
	b.WriteString("```\n\n")
	for _, m := range p.machines {
		b.WriteString("Machine: " + m + ".\n")
	}
	return b.String()
}

// load is a run's 1-minute load average when it began.
func load(h *Header) string {
	if f := strings.Fields(h.Machine.Load); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// Summary is the table of targets.
func Summary(vs []Verdict) string {
	t := newTable("what (scenario)", "target", "measured (every recorded run)", "")
	for _, v := range vs {
		t.row(v.What, v.Goal, v.Measured, v.Status())
	}
	return t.String()
}

// modelCells prints a sim model's settings, or dashes off the sim.
func modelCells(m *bench.Model) []string {
	if m == nil {
		return []string{"–", "–", "–", "–"}
	}
	return []string{m.SimProcess, fmt.Sprintf("%d ms", m.ColdStartMS), fmt.Sprintf("%d ms", m.APILatencyMS), rate(m.RequestRate)}
}

// rate prints an API rate.
func rate(perSecond float64) string {
	if perSecond <= 0 {
		return "unlimited"
	}
	if perSecond >= 10 {
		return thousands(int(perSecond+0.5)) + "/s"
	}
	return fmt.Sprintf("%.2g/s", perSecond)
}

// sci prints a count of samples as 1e7.
func sci(v float64) string {
	return strings.Replace(strings.Replace(fmt.Sprintf("%.0e", v), "e+0", "e", 1), "e+", "e", 1)
}

// FanoutSection is every fan-out run, one row per client and task count.
func FanoutSection(r *Results) string {
	var p provenance
	t := newTable("tasks × ms", "client", "sim", "cold start", "API latency", "API rate", "all running s", "last end s", "makespan s",
		"inv/s", "of loopback", "max running", "failed", "load", "file")
	fs := slices.Clone(r.Fanouts)
	slices.SortStableFunc(fs, func(a, b Fanout) int {
		return strings.Compare(fanoutKey(&a), fanoutKey(&b))
	})
	for i := range fs {
		f := &fs[i]
		p.add(&f.Header)
		loop := "–"
		if f.LoopbackRate > 0 {
			loop = fmt.Sprintf("%.2f of %s", f.FractionOfLoopback, rate(f.LoopbackRate))
		}
		fanoutRow(t, f, &f.FanoutResult, loop)
		if f.Naive != nil {
			fanoutRow(t, f, f.Naive, "–")
		}
	}
	return section(&p, t)
}

func fanoutKey(f *Fanout) string {
	proc := ""
	if f.Model != nil {
		proc = f.Model.SimProcess
	}
	return fmt.Sprintf("%s %08d %08d", proc, f.Tasks, f.TaskMS)
}

func fanoutRow(t *table, f *Fanout, r *bench.FanoutResult, loop string) {
	cells := []string{fmt.Sprintf("%s × %d", thousands(r.Tasks), r.TaskMS), r.Client}
	cells = append(cells, modelCells(f.Model)...)
	cells = append(cells, fmt.Sprintf("%.3f", r.TimeToAllRunningSeconds), fmt.Sprintf("%.3f", r.LastEndSeconds),
		fmt.Sprintf("%.3f", r.MakespanSeconds), thousands(int(r.InvocationsPerSecond+0.5)), loop,
		thousands(r.MaxRunning), fmt.Sprint(r.FailedTasks), load(&f.Header), f.File)
	t.row(cells...)
}

// ScalingSection is every scaling run, a row per task count.
func ScalingSection(r *Results) string {
	var p provenance
	t := newTable("backend", "mode", "workload", "work per task", "sim", "cold start", "API latency", "API rate",
		"tasks", "wall s", "speedup", "efficiency", "failed", "load", "file")
	for _, s := range r.Scalings {
		for i := range s.Rows {
			row := &s.Rows[i]
			p.add(&row.Header)
			work := fmt.Sprintf("%.0f ms", row.WorkPerTask)
			if row.Workload == bench.WorkloadPi {
				work = sci(row.WorkPerTask) + " samples"
			}
			cells := []string{row.Backend, row.Mode, row.Workload, work}
			cells = append(cells, modelCells(row.Model)...)
			cells = append(cells, thousands(row.Tasks), fmt.Sprintf("%.3f", row.WallSeconds), fmt.Sprintf("%.2f", row.Speedup),
				fmt.Sprintf("%.3f", row.Efficiency), fmt.Sprint(row.FailedTasks), load(&row.Header), s.File)
			t.row(cells...)
		}
	}
	return section(&p, t)
}

// OverheadSection is every run of overcast bench overhead.
func OverheadSection(r *Results) string {
	var p provenance
	t := newTable("backend", "tasks", "wall s", "µs per task", "load", "file")
	for i := range r.Overheads {
		o := &r.Overheads[i]
		p.add(&o.Header)
		for _, row := range o.Rows {
			t.row("`"+row.Backend+"`", thousands(row.Tasks), fmt.Sprintf("%.3f", row.WallSeconds), fmt.Sprintf("%.2f", row.MicrosPerTask), load(&o.Header), o.File)
		}
	}
	return section(&p, t)
}

// GoBenchSection is every Go benchmark but those with a section of
// their own, one row per measurement.
func GoBenchSection(r *Results) string {
	var p provenance
	t := newTable("benchmark", "package", "iterations", "metrics", "load", "file")
	for i := range r.GoBenches {
		g := &r.GoBenches[i]
		if ownSection(g) {
			continue
		}
		p.add(&g.Header)
		for _, b := range g.Benchmarks {
			t.row("`"+b.Name+"`", b.Package, fmt.Sprint(b.Iterations), metrics(&b), load(&g.Header), g.File)
		}
	}
	return section(&p, t)
}

func isFaultRun(g *GoBench) bool {
	for _, b := range g.Benchmarks {
		if _, _, ok := faultName(b.Name); ok {
			return true
		}
	}
	return false
}

// metrics prints a benchmark's metrics but ns/op when others exist, or
// its failure.
func metrics(b *Benchmark) string {
	if b.Failed {
		return "**failed**: " + b.Error
	}
	m := b.Metrics
	var keys []string
	for k := range m {
		if k != "ns/op" || len(m) == 1 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%.4g %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// ParallelSection is every case of scripts/bench-parallel.sh.
func ParallelSection(r *Results) string {
	var p provenance
	t := newTable("tasks × samples", "parallel -jN", "parallel s", "overcast s", "overcast faster by (best of each)", "load", "file")
	for i := range r.Parallels {
		c := &r.Parallels[i]
		p.add(&c.Header)
		t.row(fmt.Sprintf("%s × %s", thousands(c.Tasks), sci(c.SamplesPerTask)), fmt.Sprint(c.Jobs), seconds(c.ParallelSeconds),
			seconds(c.OvercastSeconds), ratio(c.Speedup()), load(&c.Header), c.File)
	}
	return section(&p, t)
}

func seconds(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.3f", v)
	}
	return strings.Join(parts, ", ")
}

// FaultSection is every run of BenchmarkFaultMakespan. Only the target's
// scenario counts for the target; the others say why not.
func FaultSection(r *Results) string {
	var p provenance
	t := newTable("job", "platform / executor", "fault-free s", "with faults s", "ratio", "counts for the target", "load", "file")
	for i := range r.GoBenches {
		g := &r.GoBenches[i]
		if !isFaultRun(g) {
			continue
		}
		p.add(&g.Header)
		for _, b := range g.Benchmarks {
			job, variant, ok := faultName(b.Name)
			if !ok {
				continue
			}
			if b.Failed {
				t.row(job, variant, "**failed**: "+b.Error, "", "", faultCounts(variant), load(&g.Header), g.File)
				continue
			}
			t.row(job, variant, fmt.Sprintf("%.2f", b.Metrics["clean-s"]), fmt.Sprintf("%.2f", b.Metrics["fault-s"]),
				fmt.Sprintf("%.2f", b.Metrics["fault/clean"]), faultCounts(variant), load(&g.Header), g.File)
		}
	}
	return section(&p, t)
}

// faultCounts says whether a variant stands for the fault target.
func faultCounts(variant string) string {
	switch {
	case variant == FaultScenario:
		return "yes"
	case strings.HasPrefix(variant, "limit1000/"):
		return "no: never throttles (no 429 storm)"
	}
	return "no: executor settings other than the defaults"
}
