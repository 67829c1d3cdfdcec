package benchdoc

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/overcast-sc/overcast/bench"
	"github.com/overcast-sc/overcast/sim"
)

// Target is a goal and the exact scenario whose runs decide it.
type Target struct {
	// What names the measurement and its scenario.
	What string
	// Goal is the bound, e.g. "≤ 1 s".
	Goal string
	// runs returns every recorded run of the scenario: a label (say, the
	// sim process), the value as printed, and whether it meets the goal.
	runs func(r *Results) []outcome
}

type outcome struct {
	label string
	value float64
	text  string
	meets bool
}

// failedOutcome is a run that failed: it never meets a target, and it
// sorts above every measured value.
func failedOutcome(label string) outcome {
	return outcome{label, math.Inf(1), "failed", false}
}

// Verdict is a target judged on the recorded runs: met only when there
// is at least one run and every run meets it.
type Verdict struct {
	Target
	Measured      string
	Runs, Meeting int
}

// Met tells whether every recorded run met the target.
func (v *Verdict) Met() bool { return v.Runs > 0 && v.Meeting == v.Runs }

// Status is the verdict's last column.
func (v *Verdict) Status() string {
	switch {
	case v.Runs == 0:
		return "**not met**: no run of this scenario"
	case v.Met():
		return fmt.Sprintf("met (%d of %d runs)", v.Meeting, v.Runs)
	}
	return fmt.Sprintf("**not met** (%d of %d runs meet it)", v.Meeting, v.Runs)
}

// Judge decides every target from r.
func Judge(r *Results, targets []Target) []Verdict {
	vs := make([]Verdict, len(targets))
	for i, t := range targets {
		outs := t.runs(r)
		v := Verdict{Target: t, Runs: len(outs)}
		for _, o := range outs {
			if o.meets {
				v.Meeting++
			}
		}
		v.Measured = summarizeOutcomes(outs)
		vs[i] = v
	}
	return vs
}

// summarizeOutcomes prints the range of each label's values.
func summarizeOutcomes(outs []outcome) string {
	if len(outs) == 0 {
		return "–"
	}
	var labels []string
	by := map[string][]outcome{}
	for _, o := range outs {
		if _, ok := by[o.label]; !ok {
			labels = append(labels, o.label)
		}
		by[o.label] = append(by[o.label], o)
	}
	parts := make([]string, len(labels))
	for i, l := range labels {
		os := by[l]
		lo := slices.MinFunc(os, func(a, b outcome) int { return cmpFloat(a.value, b.value) })
		hi := slices.MaxFunc(os, func(a, b outcome) int { return cmpFloat(a.value, b.value) })
		s := lo.text
		if hi.text != lo.text {
			s += "–" + hi.text
		}
		s += fmt.Sprintf(" (%d %s)", len(os), plural(len(os), "run"))
		if l != "" {
			s = l + ": " + s
		}
		parts[i] = s
	}
	return strings.Join(parts, "; ")
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// DefaultModel is the sim's model every fan-out and scaling target names:
// bench's defaults, containers in-process (in the sim's process), either
// sim process. A run with other settings is shown but judges nothing.
func DefaultModel(m *bench.Model) bool {
	return m != nil && m.ColdStartMS == int(bench.DefaultColdStart.Milliseconds()) &&
		m.APILatencyMS == int(bench.DefaultAPILatency.Milliseconds()) && m.RequestRate == bench.DefaultRequestRate &&
		m.ContainerMode == sim.ModeInproc
}

// defaultScenario describes the default model in a target's words.
func defaultScenario() string {
	return fmt.Sprintf("sim at bench's defaults (cold start %d ms, API latency %d ms, API rate %s)",
		bench.DefaultColdStart.Milliseconds(), bench.DefaultAPILatency.Milliseconds(), rate(bench.DefaultRequestRate))
}

// Targets are the project's targets, each with the scenario that decides
// it.
func Targets() []Target {
	return []Target{
		benchTarget("scheduler overhead per empty task, local backend (`BenchmarkSchedulerOverhead/encoded`)", "≤ 2 µs",
			"BenchmarkSchedulerOverhead/encoded", "µs/task", "%.2f µs", func(v float64) bool { return v <= 2 }),
		benchTarget("pi on the local backend over a hand-written all-cores loop (`BenchmarkLocalVsHandLoop`)", "≥ 0.95",
			"BenchmarkLocalVsHandLoop", "ratio", "%.3f", func(v float64) bool { return v >= 0.95 }),
		benchTarget("primes to 1e10, local backend over `primesieve -t 2` (`BenchmarkLocalVsPrimesieve`)", "within 3×",
			"BenchmarkLocalVsPrimesieve", "ratio", "%.2f×", func(v float64) bool { return v <= 3 }),
		wordcountTarget("generated", "1 GB of generated Zipf text", 1000),
		wordcountTarget("gcide", "dict-gcide (40 MB of text)", 0),
		benchTarget("sort of 1 GB, local backend over GNU `sort` (LC_ALL=C) of the same records as lines (`BenchmarkLocalVsGNUSort`)", "≥ 1×",
			"BenchmarkLocalVsGNUSort", "ratio", "%.2f×", func(v float64) bool { return v >= 1 }),
		parallelTarget(1000, 1e7, 1.3),
		parallelTarget(10000, 1e4, 20),
		fanoutTarget(1000, "time until all running", "≤ 1 s", func(f *Fanout) (float64, string, bool) {
			return f.TimeToAllRunningSeconds, fmt.Sprintf("%.2f s", f.TimeToAllRunningSeconds), f.TimeToAllRunningSeconds <= 1
		}),
		fanoutTarget(10000, "time until all running", "≤ 5 s", func(f *Fanout) (float64, string, bool) {
			return f.TimeToAllRunningSeconds, fmt.Sprintf("%.2f s", f.TimeToAllRunningSeconds), f.TimeToAllRunningSeconds <= 5
		}),
		fanoutTarget(0, "invocations per second from one driver", "≥ 5,000/s", func(f *Fanout) (float64, string, bool) {
			return f.InvocationsPerSecond, thousands(int(f.InvocationsPerSecond+0.5)) + "/s", f.InvocationsPerSecond >= 5000
		}),
		loopbackTarget(),
		weakScalingTarget(),
		faultTarget(),
		scaleTarget("driver peak RSS per task", "rss-B/task", "≤ 250 B", "%.0f B", 250),
		scaleTarget("journal bytes per finished task", "journal-B/task", "≤ 150 B", "%.0f B", 150),
		scaleTarget("SIGINT to exit, half the tasks done", "sigint-s", "≤ 2 s", "%.2f s", 2),
		scaleTarget("`jobs show` of the interrupted job", "show-s", "≤ 2 s", "%.2f s", 2),
		scaleTarget("`jobs list` with the interrupted job", "list-s", "≤ 2 s", "%.2f s", 2),
	}
}

// ScaleTasks is the job size the scale targets name.
const ScaleTasks = 10_000_000

// scaleTarget judges a metric of BenchmarkTenMillionTasks's runs of
// ScaleTasks tasks (smaller runs are shown but decide nothing), empty
// and pi tasks both.
func scaleTarget(what, metric, goal, format string, most float64) Target {
	return Target{What: what + ", 10,000,000 empty or pi tasks, local backend, journal on (`BenchmarkTenMillionTasks`)", Goal: goal,
		runs: func(r *Results) []outcome {
			var outs []outcome
			for i := range r.GoBenches {
				for _, b := range r.GoBenches[i].Benchmarks {
					kind, ok := strings.CutPrefix(b.Name, scaleBench)
					if !ok || (!b.Failed && b.Metrics["tasks"] != ScaleTasks) {
						continue
					}
					if b.Failed {
						outs = append(outs, failedOutcome(kind))
						continue
					}
					v := b.Metrics[metric]
					outs = append(outs, outcome{kind, v, fmt.Sprintf(format, v), v <= most})
				}
			}
			return outs
		}}
}

// benchTarget judges a Go benchmark's metric.
func benchTarget(what, goal, name, metric, format string, ok func(float64) bool) Target {
	return Target{What: what, Goal: goal, runs: func(r *Results) []outcome {
		var outs []outcome
		for _, b := range r.find(name) {
			if b.Failed {
				outs = append(outs, failedOutcome(""))
			} else if v, found := b.Metrics[metric]; found {
				outs = append(outs, outcome{"", v, fmt.Sprintf(format, v), ok(v)})
			}
		}
		return outs
	}}
}

// wordcountTarget judges wordcount on the local backend over a
// single-process count of the same file; mb, when not zero, is the input
// size in MB the scenario needs (runs on other sizes judge nothing).
func wordcountTarget(sub, input string, mb float64) Target {
	return Target{What: "wordcount of " + input + ", local backend over a single-process Go count, same run (`BenchmarkLocalVsSingleProcess/" + sub + "`)",
		Goal: "≥ 1.8×", runs: func(r *Results) []outcome {
			var outs []outcome
			for _, b := range r.find("BenchmarkLocalVsSingleProcess/" + sub) {
				v, found := b.Metrics["ratio"]
				switch {
				case b.Failed:
					outs = append(outs, failedOutcome(""))
				case found && (mb == 0 || math.Abs(b.Metrics["MB"]-mb) < 1):
					outs = append(outs, outcome{"", v, fmt.Sprintf("%.2f×", v), v >= 1.8})
				}
			}
			return outs
		}}
}

func parallelTarget(tasks int, samples float64, min float64) Target {
	return Target{What: fmt.Sprintf("local pi vs GNU parallel, %s tasks × %s samples (best of each, `scripts/bench-parallel.sh`)", thousands(tasks), sci(samples)),
		Goal: fmt.Sprintf("≥ %g× faster", min), runs: func(r *Results) []outcome {
			var outs []outcome
			for _, p := range r.Parallels {
				if p.Tasks == tasks && p.SamplesPerTask == samples {
					s := p.Speedup()
					outs = append(outs, outcome{"", s, ratio(s), s >= min})
				}
			}
			return outs
		}}
}

// fanoutTarget judges overcast's fan-out runs of 1 s tasks under the
// default model; tasks 0 means the runs of 1,000 and of 10,000 tasks.
func fanoutTarget(tasks int, what, goal string, judge func(*Fanout) (float64, string, bool)) Target {
	n := "1,000 and 10,000"
	if tasks > 0 {
		n = thousands(tasks)
	}
	return Target{What: fmt.Sprintf("%s, %s tasks of 1 s, %s", what, n, defaultScenario()), Goal: goal,
		runs: func(r *Results) []outcome {
			var outs []outcome
			for i := range r.Fanouts {
				f := &r.Fanouts[i]
				if !DefaultModel(f.Model) || f.TaskMS != 1000 || (tasks > 0 && f.Tasks != tasks) || (tasks == 0 && f.Tasks != 1000 && f.Tasks != 10000) {
					continue
				}
				v, text, ok := judge(f)
				outs = append(outs, outcome{fmt.Sprintf("%s tasks, sim %s", thousands(f.Tasks), f.Model.SimProcess), v, text, ok && f.FailedTasks == 0})
			}
			return outs
		}}
}

func loopbackTarget() Target {
	return Target{What: "invocations per second as a fraction of the machine's raw loopback HTTP rate measured in the same run, 10,000 tasks of 1 s, " + defaultScenario(),
		Goal: "≥ 0.5", runs: func(r *Results) []outcome {
			var outs []outcome
			for i := range r.Fanouts {
				f := &r.Fanouts[i]
				if DefaultModel(f.Model) && f.TaskMS == 1000 && f.Tasks == 10000 {
					v := f.FractionOfLoopback
					text := fmt.Sprintf("%.2f", v)
					if f.LoopbackRate == 0 {
						text = "not measured"
					}
					outs = append(outs, outcome{"sim " + f.Model.SimProcess, v, text, v >= 0.5 && f.LoopbackRate > 0})
				}
			}
			return outs
		}}
}

func weakScalingTarget() Target {
	return Target{What: "weak-scaling efficiency from 1 to 10,000 sleeping tasks, " + defaultScenario(), Goal: "≥ 0.90",
		runs: func(r *Results) []outcome {
			var outs []outcome
			for _, s := range r.Scalings {
				first := s.Rows[0]
				if first.Mode != bench.Weak || first.Workload != bench.WorkloadSleep || first.Tasks != 1 || !DefaultModel(first.Model) {
					continue
				}
				for _, row := range s.Rows {
					if row.Tasks == 10000 {
						label := fmt.Sprintf("%g s tasks, sim %s", row.WorkPerTask/1000, row.Model.SimProcess)
						outs = append(outs, outcome{label, row.Efficiency, fmt.Sprintf("%.3f", row.Efficiency), row.Efficiency >= 0.9 && row.FailedTasks == 0})
					}
				}
			}
			return outs
		}}
}

// FaultScenario is the variant of BenchmarkFaultMakespan the fault
// target names: the fault mix with its 429 storm (the namespace
// allows 40 while the executor asks for 200) and the executor's defaults.
const FaultScenario = "limit40/defaults"

func faultTarget() Target {
	return Target{What: "fault run's makespan over the fault-free run's, the issue's fault mix with its 429 storm (`BenchmarkFaultMakespan/*/" + FaultScenario + "`)",
		Goal: "≤ 1.5×", runs: func(r *Results) []outcome {
			var outs []outcome
			for i := range r.GoBenches {
				for _, b := range r.GoBenches[i].Benchmarks {
					job, variant, ok := faultName(b.Name)
					if !ok || variant != FaultScenario {
						continue
					}
					if b.Failed {
						outs = append(outs, failedOutcome(job))
						continue
					}
					v := b.Metrics["fault/clean"]
					outs = append(outs, outcome{job, v, fmt.Sprintf("%.2f×", v), v <= 1.5})
				}
			}
			return outs
		}}
}

// faultName splits "BenchmarkFaultMakespan/JOB/VARIANT...".
func faultName(name string) (job, variant string, ok bool) {
	rest, ok := strings.CutPrefix(name, "BenchmarkFaultMakespan/")
	if !ok {
		return "", "", false
	}
	job, variant, ok = strings.Cut(rest, "/")
	return job, variant, ok
}

// ratio prints a speedup with three significant digits.
func ratio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f×", v)
	case v >= 10:
		return fmt.Sprintf("%.1f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// thousands prints n with commas.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
