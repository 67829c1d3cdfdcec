package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/bench"
)

// fanoutTargets are the project's targets for the time until every task
// runs, by task count (issue 6), drawn on fan-out plots.
var fanoutTargets = map[int]float64{1000: 1, 10000: 5}

// benchFlags are the settings every bench subcommand shares.
type benchFlags struct {
	backend      string
	tasks        string
	taskMS       int
	apiLatencyMS int
	coldStartMS  int
	requestRate  float64
	simProcess   string
	json         bool
	plots        []string
	backends     backendFlags
}

func (f *benchFlags) add(fs *pflag.FlagSet, backend, tasks string) {
	fs.StringVar(&f.backend, "backend", backend, "where tasks run: sim (a modelled OpenWhisk, see --sim-process), local, openwhisk, lambda, http, or a backend URL")
	fs.StringVar(&f.tasks, "tasks", tasks, "task counts to measure, comma-separated (1e4 is fine)")
	fs.Var(newCount(&f.taskMS, 1000), "task-ms", "milliseconds each modelled (sleeping) task runs (0 = tasks that return at once)")
	fs.Var(newCount(&f.apiLatencyMS, int(bench.DefaultAPILatency.Milliseconds())), "api-latency-ms", "sim: delay added to every API call (0 = none)")
	fs.Var(newCount(&f.coldStartMS, int(bench.DefaultColdStart.Milliseconds())), "cold-start-ms", "sim: delay added when a container starts (0 = none)")
	fs.Float64Var(&f.requestRate, "request-rate", bench.DefaultRequestRate, "sim: API calls its controller answers a second, the others wait (0 = unlimited)")
	fs.StringVar(&f.simProcess, "sim-process", bench.SimInProcess, "sim: run it in-process (sharing the driver's CPU and runtime) or separate (overcast sim as its own process)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
	fs.StringArrayVar(&f.plots, "plot", nil, "write a plot to this .png, .svg or .pdf file (repeatable)")
	f.backends.add(fs, forRun)
}

// taskCounts parses --tasks.
func (f *benchFlags) taskCounts() ([]int, error) {
	var ns []int
	for _, s := range strings.Split(f.tasks, ",") {
		v, err := parseCount(s)
		if err != nil || v < 1 || v > 10_000_000 {
			return nil, usagef("--tasks takes task counts from 1 to 1e7 separated by commas, got %q", f.tasks)
		}
		ns = append(ns, int(v))
	}
	return ns, nil
}

// target returns where the runs go: a fresh sim per run, or a backend
// the worker is deployed to once.
func (f *benchFlags) target(ctx context.Context, a *app) (bench.Target, error) {
	if !(f.requestRate >= 0) {
		return nil, usagef("--request-rate must not be negative, got %g", f.requestRate)
	}
	if f.simProcess != bench.SimInProcess && f.simProcess != bench.SimSeparate {
		return nil, usagef("--sim-process must be %s or %s, got %q", bench.SimInProcess, bench.SimSeparate, f.simProcess)
	}
	if f.backend == "sim" {
		// The sim is driven through the openwhisk backend, with its --collect.
		if err := f.backends.openwhisk.checkCollect(); err != nil {
			return nil, err
		}
		return &bench.SimTarget{APILatency: ms(f.apiLatencyMS), ColdStart: ms(f.coldStartMS), RequestRate: f.requestRate,
			Process: f.simProcess, Collect: f.backends.openwhisk.collect, ActionTimeout: max(5*time.Minute, 2*ms(f.taskMS))}, nil
	}
	if !strings.Contains(f.backend, "://") && !slices.Contains(backendNames(), f.backend) {
		return nil, usagef("unknown backend %q (known: %s, or a backend URL)", f.backend, strings.Join(benchBackends(), ", "))
	}
	url, err := f.backends.url(f.backend)
	if err != nil {
		return nil, err
	}
	b, err := f.backends.openURL(ctx, url)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if err := a.deployWorker(ctx, b); err != nil {
		return nil, err
	}
	return &bench.URLTarget{URL: url, OpenBackend: f.backends.openURL}, nil
}

// benchBackends are the names bench's --backend takes: the sim and every
// backend's, sorted.
func benchBackends() []string {
	return slices.Sorted(slices.Values(append(backendNames(), "sim")))
}

// startProfile starts writing a CPU profile to cpuProfile (--cpuprofile),
// when given.
func startProfile(cpuProfile string) error {
	if cpuProfile == "" {
		return nil
	}
	f, err := os.Create(cpuProfile)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// header is what every bench prints first: where and how to reproduce,
// and on the sim what it models.
type header struct {
	Machine bench.Machine `json:"machine"`
	Command string        `json:"command"`
	Backend string        `json:"backend"`
	Model   *bench.Model  `json:"model,omitempty"`
	// Time is when the command began, in UTC.
	Time string `json:"time"`
}

// newTargetHeader is newHeader for a run on target: a sim's model for n
// tasks (n = 0: any task count) goes with it.
func newTargetHeader(cmd *cobra.Command, target bench.Target, n int) header {
	h := newHeader(cmd, target.Name())
	if st, ok := target.(*bench.SimTarget); ok {
		m := st.Model(n)
		h.Model = &m
	}
	return h
}

// title is a plot title with the model on the lines below it.
func (h header) title(s string) string {
	if h.Model != nil {
		l := h.Model.Lines()
		s += "\n" + l[0] + "\n" + l[1]
	}
	return s
}

func newHeader(cmd *cobra.Command, backend string) header {
	args := []string{cmd.CommandPath()}
	visitGiven(cmd.Flags(), func(fl *pflag.Flag) {
		if isSecret(fl.Name) {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+fl.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	return header{Machine: bench.ThisMachine(), Command: strings.Join(args, " "), Backend: backend,
		Time: time.Now().UTC().Format(time.RFC3339)}
}

func (h header) print(w io.Writer) {
	fmt.Fprintf(w, "machine: %s\ncommand: %s\n", h.Machine, h.Command)
	if h.Model != nil {
		fmt.Fprintf(w, "model:   %s\n", h.Model)
	}
}

// failedError is a run's error when any task failed, after its results
// were printed.
func failedError(failed, tasks int) error {
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d tasks failed", failed, tasks)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newBenchCmd(a *app) *cobra.Command {
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure scaling, fan-out and scheduler overhead",
		Long: `bench measures Overcast on a backend and prints the machine and the exact
command to reproduce each measurement. --backend sim (the default of fanout)
starts a fresh OpenWhisk sim per run, in this process or (--sim-process
separate) as its own, and runs tasks that sleep --task-ms. The sim models a
cold start per container, a latency on every API call, the controller's own
rate of API calls and the namespace's concurrency limit (the task count, at
least 1,000); every table, plot title and JSON row says which. Any other
backend runs the same measurement for real. A run in which any task failed
exits non-zero after printing its results.`,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return startProfile(cpuProfile) },
		PersistentPostRun: func(cmd *cobra.Command, _ []string) { pprof.StopCPUProfile() },
		Args:              noArgs,
		RunE:              func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBenchScalingCmd(a), newBenchFanoutCmd(a), newBenchOverheadCmd(a.stdout))
	cmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measurement to this file")
	return cmd
}

// scalingReport is bench scaling's result: the header and one row per task
// count.
type scalingReport struct {
	header
	target   bench.Target
	Mode     string
	Workload string
	Work     uint64
	Rows     []bench.ScalingRow
}

// scalingRowJSON is one element of bench scaling's JSON, an array of rows:
// tasks, wall_seconds, speedup, efficiency and failed_tasks, what was
// measured, the machine, the command and, on the sim, the model.
type scalingRowJSON struct {
	bench.ScalingRow
	header
	Mode     string `json:"mode"`
	Workload string `json:"workload"`
}

// writeJSON prints the rows as a JSON array; the machine and the command
// also go to stderr.
func (r *scalingReport) writeJSON(cmd *cobra.Command, stdout, stderr io.Writer) error {
	r.print(stderr)
	rows := make([]scalingRowJSON, len(r.Rows))
	for i, row := range r.Rows {
		rows[i] = scalingRowJSON{row, newTargetHeader(cmd, r.target, row.Tasks), r.Mode, r.Workload}
	}
	return writeJSON(stdout, rows)
}

// failed counts the failed tasks of every row.
func (r *scalingReport) failed() (failed, tasks int) {
	for _, row := range r.Rows {
		failed, tasks = failed+row.FailedTasks, tasks+row.Tasks
	}
	return failed, tasks
}

func newBenchScalingCmd(a *app) *cobra.Command {
	f := benchFlags{backends: a.backendFlags()}
	var o bench.ScalingOptions
	var samples uint64
	cmd := &cobra.Command{
		Use:   "scaling",
		Short: "Strong or weak scaling: wall time, speedup and efficiency by task count",
		Example: `  overcast bench scaling --backend local --workload pi --tasks 1,2,4 --mode strong --samples 4e9
  overcast bench scaling --backend sim --workload sleep --tasks 1,10,100,1000,10000 --mode weak --task-ms 1000 --plot docs/weak-scaling-sim.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Workload == "" {
				o.Workload = bench.WorkloadPi
				if f.backend == "sim" {
					o.Workload = bench.WorkloadSleep
				}
			}
			switch o.Workload {
			case bench.WorkloadPi:
				o.Work = samples
			case bench.WorkloadSleep:
				o.Work = uint64(f.taskMS)
				if o.Mode == bench.Strong {
					return usagef("strong scaling of modelled tasks tells nothing; use --mode weak with --workload sleep")
				}
			default:
				return usagef("--workload must be pi or sleep, got %q", o.Workload)
			}
			if o.Mode != bench.Strong && o.Mode != bench.Weak {
				return usagef("--mode must be strong or weak, got %q", o.Mode)
			}
			return runBenchScaling(cmd, a, &f, &o)
		},
	}
	fs := cmd.Flags()
	f.add(fs, "local", "1,2,4")
	fs.StringVar(&o.Workload, "workload", "", "pi (Monte Carlo samples) or sleep (modelled tasks of --task-ms); default sleep on sim, pi elsewhere")
	fs.StringVar(&o.Mode, "mode", bench.Strong, "strong (fixed total work) or weak (fixed work per task)")
	fs.Var(positive(&samples, 1e9), "samples", "pi: total samples (strong) or samples per task (weak)")
	return cmd
}

func runBenchScaling(cmd *cobra.Command, a *app, f *benchFlags, o *bench.ScalingOptions) error {
	stdout, stderr := a.stdout, a.stderr
	var err error
	if o.Tasks, err = f.taskCounts(); err != nil {
		return err
	}
	ctx := cmd.Context()
	target, err := f.target(ctx, a)
	if err != nil {
		return err
	}
	rep := scalingReport{header: newTargetHeader(cmd, target, 0), target: target, Mode: o.Mode, Workload: o.Workload, Work: o.Work}
	if !f.json {
		rep.print(stdout)
		fmt.Fprintf(stdout, "%s scaling of %s on %s\n%8s %12s %9s %11s %7s\n", o.Mode, o.Workload, target.Name(), "tasks", "wall_s", "speedup", "efficiency", "failed")
		o.Row = func(r bench.ScalingRow) {
			fmt.Fprintf(stdout, "%8d %12.3f %9.2f %11.3f %7d\n", r.Tasks, r.WallSeconds, r.Speedup, r.Efficiency, r.FailedTasks)
		}
	}
	rep.Rows, err = bench.Scaling(ctx, target, o)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s on %s", o.Workload, target.Name())
	if o.Workload == bench.WorkloadSleep {
		title = fmt.Sprintf("tasks of %d ms on %s", f.taskMS, target.Name())
	}
	title = rep.title(title)
	cores := 0
	if target.Name() == "local" && o.Workload == bench.WorkloadPi {
		cores = runtime.GOMAXPROCS(0)
		if w := f.backends.local.workers; w > 0 {
			cores = min(cores, w)
		}
	}
	for _, p := range f.plots {
		if err := bench.ScalingPlot(rep.Rows, o.Mode, title, p, cores); err != nil {
			return err
		}
	}
	if f.json {
		if err := rep.writeJSON(cmd, stdout, stderr); err != nil {
			return err
		}
	}
	return failedError(rep.failed())
}

// fanoutReport is bench fanout's JSON for one task count: the header, the
// overcast measurement's fields and, with --naive, the naive client's.
type fanoutReport struct {
	header
	*bench.FanoutResult
	// LoopbackRPS is the machine's raw loopback HTTP rate, measured just
	// before the run on the sim, and FractionOfLoopback the run's
	// invocations a second over it: the rate with the machine's speed
	// and load divided out.
	LoopbackRPS        float64             `json:"loopback_requests_per_second,omitempty"`
	FractionOfLoopback float64             `json:"fraction_of_loopback,omitempty"`
	Naive              *bench.FanoutResult `json:"naive,omitempty"`
}

// measureLoopback measures the loopback rate when the target is the sim.
func (r *fanoutReport) measureLoopback(ctx context.Context, target bench.Target) error {
	if _, ok := target.(*bench.SimTarget); !ok {
		return nil
	}
	lb, err := bench.LoopbackRate(ctx, bench.LoopbackOptions{})
	if err != nil {
		return fmt.Errorf("loopback rate: %w", err)
	}
	r.LoopbackRPS = lb.RequestsPerSecond
	return nil
}

func newBenchFanoutCmd(a *app) *cobra.Command {
	f := benchFlags{backends: a.backendFlags()}
	var naive bool
	var pollEvery time.Duration
	cmd := &cobra.Command{
		Use:   "fanout",
		Short: "Fan-out: time until N tasks run, makespan and invocations per second",
		Long: `fanout runs N tasks that each sleep --task-ms, all allowed at once, and
measures when the last one started running, when the last result arrived,
and how fast the platform accepted the invocations. On the sim it first
measures the machine's raw loopback HTTP rate (a bare Go server and 256
keep-alive clients posting a task-sized body) and reports the invocation
rate as a fraction of it. With --json one task
count prints one object; several print an array of objects. --naive also
measures the seed's 2018 client (sequential invokes, then one GET per
activation every --poll-every) against a fresh sim.`,
		Example: "  overcast bench fanout --backend sim --tasks 1000,10000 --task-ms 1000 --api-latency-ms 20 --naive --plot docs/fanout-sim.png",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if naive && f.backend != "sim" {
				return usagef("--naive runs only against --backend sim")
			}
			return runBenchFanout(cmd, a, &f, naive, pollEvery)
		},
	}
	f.add(cmd.Flags(), "sim", "1000")
	cmd.Flags().BoolVar(&naive, "naive", false, "also measure the naive client (sequential invokes, polling by id)")
	cmd.Flags().DurationVar(&pollEvery, "poll-every", 2*time.Second, "naive: pause between polling rounds")
	return cmd
}

func runBenchFanout(cmd *cobra.Command, a *app, f *benchFlags, naive bool, pollEvery time.Duration) error {
	stdout := a.stdout
	counts, err := f.taskCounts()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	target, err := f.target(ctx, a)
	if err != nil {
		return err
	}
	h := newTargetHeader(cmd, target, 0)
	if !f.json {
		h.print(stdout)
		fmt.Fprintf(stdout, "%8s %8s %14s %11s %12s %10s %12s %7s %11s %8s\n", "tasks", "client", "all_running_s", "last_end_s", "makespan_s", "inv/s",
			"max_running", "failed", "loopback/s", "of_loop")
	}
	var reps []fanoutReport
	var all []*bench.FanoutResult
	failed, tasks := 0, 0
	for _, n := range counts {
		rep := fanoutReport{header: newTargetHeader(cmd, target, n)}
		if err := rep.measureLoopback(ctx, target); err != nil {
			return err
		}
		o := &bench.FanoutOptions{Tasks: n, TaskMS: f.taskMS}
		if rep.FanoutResult, err = bench.Fanout(ctx, target, o); err != nil {
			return fmt.Errorf("%d tasks: %w", n, err)
		}
		if rep.LoopbackRPS > 0 {
			rep.FractionOfLoopback = rep.InvocationsPerSecond / rep.LoopbackRPS
		}
		all = append(all, rep.FanoutResult)
		failed, tasks = failed+rep.FailedTasks, tasks+n
		if naive {
			if rep.Naive, err = runNaive(ctx, target.(*bench.SimTarget), o, pollEvery); err != nil {
				return fmt.Errorf("naive, %d tasks: %w", n, err)
			}
			all = append(all, rep.Naive)
			failed, tasks = failed+rep.Naive.FailedTasks, tasks+n
		}
		if !f.json {
			printFanout(stdout, rep.FanoutResult, rep.LoopbackRPS)
			if rep.Naive != nil {
				printFanout(stdout, rep.Naive, rep.LoopbackRPS)
			}
		}
		reps = append(reps, rep)
	}
	for _, p := range f.plots {
		title := h.title(fmt.Sprintf("Tasks running over time on %s", target.Name()))
		if err := bench.FanoutPlot(all, fanoutTargets, title, p); err != nil {
			return err
		}
	}
	if f.json {
		var v any = reps
		if len(reps) == 1 {
			v = reps[0]
		}
		if err := writeJSON(stdout, v); err != nil {
			return err
		}
	}
	return failedError(failed, tasks)
}

// runNaive measures the naive client on a fresh sim of the target's kind.
func runNaive(ctx context.Context, t *bench.SimTarget, o *bench.FanoutOptions, every time.Duration) (*bench.FanoutResult, error) {
	s, err := t.Start(o.Tasks)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return bench.Naive(ctx, s.Config, bench.SimAction, &bench.NaiveOptions{FanoutOptions: *o, PollEvery: every})
}

// printFanout prints a result's row; loopback is the loopback rate
// measured with it, or 0.
func printFanout(w io.Writer, r *bench.FanoutResult, loopback float64) {
	loop, frac := "-", "-"
	if loopback > 0 {
		loop, frac = fmt.Sprintf("%.0f", loopback), fmt.Sprintf("%.3f", r.InvocationsPerSecond/loopback)
	}
	fmt.Fprintf(w, "%8d %8s %14.3f %11.3f %12.3f %10.0f %12d %7d %11s %8s\n", r.Tasks, r.Client, r.TimeToAllRunningSeconds,
		r.LastEndSeconds, r.MakespanSeconds, r.InvocationsPerSecond, r.MaxRunning, r.FailedTasks, loop, frac)
}

func newBenchOverheadCmd(stdout io.Writer) *cobra.Command {
	var tasks uint64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "overhead",
		Short: "The scheduler's cost per empty task on the local backend, encoded and not",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tasks > 1e8 {
				return usagef("--tasks must be at most 1e8, got %d", tasks)
			}
			h := newHeader(cmd, "local")
			rows, err := bench.Overhead(cmd.Context(), bench.OverheadURLs, int(tasks))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(stdout, struct {
					header
					Rows []bench.OverheadRow `json:"rows"`
				}{h, rows})
			}
			h.print(stdout)
			fmt.Fprintf(stdout, "%-24s %10s %10s %10s\n", "backend", "tasks", "wall_s", "µs/task")
			for _, r := range rows {
				fmt.Fprintf(stdout, "%-24s %10d %10.3f %10.3f\n", r.Backend, r.Tasks, r.WallSeconds, r.MicrosPerTask)
			}
			return nil
		},
	}
	cmd.Flags().Var(positive(&tasks, 1e6), "tasks", "empty tasks to run")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}
