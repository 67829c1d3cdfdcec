package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// doctorFlags are doctor's own flags; it takes the backends' deploy flags.
type doctorFlags struct {
	backend     string
	json        bool
	target      int
	taskSeconds float64
	helmValues  []string
	noInvoke    bool
	backends    backendFlags
}

func (f *doctorFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.backend, "backend", "", "the platform: openwhisk, lambda or http")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of text")
	fs.Var(newCount(&f.target, 0), "target-concurrency", "name what to change for this many tasks at once (OpenWhisk: the Helm chart's values; 0 = none)")
	fs.Float64Var(&f.taskSeconds, "task-seconds", 10, "the task duration to judge per-minute pacing by: a per-minute limit P keeps P x this / 60 tasks running")
	fs.StringArrayVar(&f.helmValues, "helm-values", nil, "OpenWhisk: the values files the cluster was installed with (repeatable), for the invokers' capacity")
	fs.BoolVar(&f.noInvoke, "no-invoke", false, "do not invoke the worker (no cold and warm latency)")
	f.backends.add(fs, forDeploy)
	f.backends.addDoctorHTTP(fs)
}

func newDoctorCmd(a *app) *cobra.Command {
	f := doctorFlags{backends: a.backendFlags()}
	cmd := &cobra.Command{
		Use:   "doctor --backend openwhisk|lambda|http [--target-concurrency N] [--json]",
		Short: "Report what a platform allows a job: the widest useful --concurrency and the limit that binds",
		Long: `Doctor reads a platform's limits and invokes the deployed worker cold and
warm, and reports what Overcast will get and why: the largest useful
--concurrency, which limit binds it (on OpenWhisk the namespace's
concurrent limit, its per-minute limit at --task-seconds a task, the
invokers' room, Overcast's own 10,000 in flight; on Lambda the account's
concurrency, --concurrency or the endpoints; on http workers each
worker's own concurrency, which it names in a 429, or --http-concurrency),
the payload limit, the kind and exec.env deploy uses, the action's memory and
time limits, and cold and warm latency. With --target-concurrency N it
names what to change to reach N: for OpenWhisk on Kubernetes, the exact
values of Apache's Helm chart (see deploy/openwhisk).

On OpenWhisk the invokers' room (replicas x userMemory / action memory) is
not in the API: give the values files the cluster was installed with
(--helm-values) to count it. Nothing is deployed: run overcast deploy
first for the latencies.`,
		Example: `  overcast doctor --backend openwhisk
  overcast doctor --backend openwhisk --helm-values deploy/openwhisk/values-kubernetes.yaml --target-concurrency 1000 --json
  overcast doctor --backend lambda
  overcast doctor --backend http --endpoint http://10.0.0.5:8080,http://10.0.0.6:8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), &f)
		},
	}
	f.add(cmd.Flags())
	return cmd
}

// doctorReport is what doctor prints. The first seven fields are the
// contract other tools rely on.
type doctorReport struct {
	MaxConcurrency    int      `json:"max_concurrency"`
	PerMinute         int      `json:"per_minute"`
	BindingLimit      string   `json:"binding_limit"`
	Kinds             []string `json:"kinds"`
	ExecEnv           string   `json:"exec_env"`
	ColdStartSeconds  *float64 `json:"cold_start_seconds"`
	WarmInvokeSeconds *float64 `json:"warm_invoke_seconds"`

	Backend         string `json:"backend"`
	Kind            string `json:"kind,omitempty"`
	KindWhy         string `json:"kind_why,omitempty"`
	ConcurrentLimit int    `json:"concurrent_limit"`
	// DriverCapacity is the most Overcast's driver keeps in flight.
	DriverCapacity int `json:"driver_capacity"`
	// PerMinuteWidth is the tasks of TaskSeconds the per-minute limit
	// keeps running; 0 when unlimited.
	PerMinuteWidth int     `json:"per_minute_width"`
	TaskSeconds    float64 `json:"task_seconds"`
	// Invokers counts the invokers up, InvokerSlots their room for the
	// action; 0 when unknown.
	Invokers             int     `json:"invokers"`
	InvokerSlots         int     `json:"invoker_slots"`
	PayloadLimitBytes    int     `json:"payload_limit_bytes"`
	Deployed             bool    `json:"deployed"`
	ActionMemoryMB       int     `json:"action_memory_mb"`
	ActionTimeoutSeconds float64 `json:"action_timeout_seconds"`
	// MemoryLimitsMB and TimeLimitsSeconds are what the platform allows an
	// action: min and max; absent when it does not say.
	MemoryLimitsMB    []int         `json:"memory_limits_mb,omitempty"`
	TimeLimitsSeconds []float64     `json:"time_limits_seconds,omitempty"`
	Target            *doctorTarget `json:"target,omitempty"`
	// Endpoints are the http backend's workers, one by one.
	Endpoints []endpointReport `json:"endpoints,omitempty"`
	Notes     []string         `json:"notes"`
}

// doctorTarget is --target-concurrency's answer.
type doctorTarget struct {
	Concurrency int           `json:"concurrency"`
	Reached     bool          `json:"reached"`
	Changes     []chartChange `json:"changes"`
}

func (r *doctorReport) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// decide fills the width, the binding limit and --target-concurrency's
// answer from the limits gathered.
func (r *doctorReport) decide(target int, chart chartState) {
	c := capacity{Concurrent: r.ConcurrentLimit, PerMinute: r.PerMinute, Slots: r.InvokerSlots, TaskSeconds: r.TaskSeconds, Driver: r.DriverCapacity}
	r.MaxConcurrency, r.BindingLimit = c.binding()
	r.PerMinuteWidth = c.perMinuteWidth()
	if target > 0 && r.Backend == "openwhisk" {
		ch := chartChanges(target, c, chart)
		r.Target = &doctorTarget{Concurrency: target, Reached: r.MaxConcurrency >= target, Changes: ch}
		if ch == nil {
			r.Target.Changes = []chartChange{}
		}
	}
}

func (a *app) doctor(ctx context.Context, f *doctorFlags) error {
	stdout := a.stdout
	if !(f.taskSeconds > 0) {
		return usagef("--task-seconds must be positive, got %g", f.taskSeconds)
	}
	var r *doctorReport
	var err error
	switch f.backend {
	case "openwhisk":
		r, err = doctorOpenWhisk(ctx, f)
	case "lambda":
		if len(f.helmValues) > 0 {
			return usagef("--helm-values is for --backend openwhisk")
		}
		r, err = doctorLambda(ctx, f)
	case "http":
		if len(f.helmValues) > 0 {
			return usagef("--helm-values is for --backend openwhisk")
		}
		r, err = doctorHTTP(ctx, f)
	case "":
		return usagef("doctor needs --backend (openwhisk, lambda or http)")
	default:
		return usagef("doctor knows --backend openwhisk, lambda and http, got %q", f.backend)
	}
	if err != nil {
		return err
	}
	for i, n := range r.Notes {
		r.Notes[i] = a.ourName(n)
	}
	if f.json {
		return printIndented(stdout, r)
	}
	printDoctor(stdout, r)
	return nil
}

// holdMS is how long the tasks of a burst hold their containers, so that
// they overlap and the platform starts new ones.
const holdMS = 300

// latency measures the worker's cold and warm latency: the round trip of
// an invocation less the task's own run time, cold when the platform
// reports an init time. An empty task runs twice in a row; while no
// sample was cold, bursts of 4, then 16, tasks that each hold their
// container for holdMS run at once, so that the platform starts
// containers beyond the warm ones. The driver is invoked directly, not
// paced, and a per-minute limit P allows doctor P/4 invocations at most.
func latency(ctx context.Context, b *backend.Backend, r *doctorReport) error {
	budget := 2 + 4 + 16
	if r.PerMinute > 0 {
		budget = min(budget, max(2, r.PerMinute/4))
	}
	used, widest := 0, 1
	var cold, warm []float64
	var mu sync.Mutex
	sample := func(sleepMS int) error {
		lat, init, err := invokeEcho(ctx, b.Driver(), sleepMS)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if init > 0 {
			cold = append(cold, lat)
		} else {
			warm = append(warm, lat)
		}
		return nil
	}
	for range 2 {
		if err := sample(0); err != nil {
			return err
		}
	}
	used += 2
	for _, width := range []int{4, 16} {
		width = min(width, budget-used)
		if len(cold) > 0 || width <= 0 {
			break
		}
		used, widest = used+width, width
		g, gctx := errgroup.WithContext(ctx)
		for range width {
			g.Go(func() error {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				return sample(holdMS)
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	r.ColdStartSeconds, r.WarmInvokeSeconds = least(cold), least(warm)
	if r.ColdStartSeconds == nil {
		r.note("%d invocations (at most %d at once) all found warm containers: cold start unknown", used, widest)
	}
	return nil
}

// invokeEcho invokes selftest/echo sleeping sleepMS and returns the round
// trip less the task's own run time, in seconds, and the platform's init
// time.
func invokeEcho(ctx context.Context, d driver.Backend, sleepMS int) (float64, time.Duration, error) {
	input := []byte(fmt.Sprintf(`{"sleep_ms":%d}`, sleepMS))
	payload, err := worker.EncodeRequest(&worker.Request{Task: "selftest/echo", Job: "doctor", Attempt: 1, Input: input})
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	act, err := d.Invoke(ctx, &driver.Invocation{Task: "selftest/echo", Job: "doctor", Attempt: 1, Payload: payload})
	rt := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("invoke the worker: %w", err)
	}
	resp, err := worker.DecodeResponse(act.Payload)
	if err != nil {
		return 0, 0, fmt.Errorf("the worker answered: %w", err)
	}
	if resp.Error != nil {
		return 0, 0, fmt.Errorf("the worker failed selftest/echo: %s", oneLine(resp.Error.Error()))
	}
	if st := resp.Stats; st.EndNS > st.StartNS && st.StartNS > 0 {
		rt -= time.Duration(st.EndNS - st.StartNS)
	}
	return rt.Seconds(), act.Init, nil
}

// least returns a pointer to the smallest of xs, or nil.
func least(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return &m
}

// printDoctor prints the report as text.
func printDoctor(w io.Writer, r *doctorReport) {
	fmt.Fprintf(w, "backend             %s\n", r.Backend)
	fmt.Fprintf(w, "max --concurrency   %d (bound by %s)\n", r.MaxConcurrency, strings.ReplaceAll(r.BindingLimit, "_", " "))
	fmt.Fprintf(w, "concurrent limit    %d\n", r.ConcurrentLimit)
	if r.DriverCapacity > 0 && r.DriverCapacity < r.ConcurrentLimit {
		fmt.Fprintf(w, "overcast's driver   at most %d in flight\n", r.DriverCapacity)
	}
	if r.PerMinute > 0 {
		fmt.Fprintf(w, "per minute          %d: at %g s a task (--task-seconds), %d tasks running\n", r.PerMinute, r.TaskSeconds, r.PerMinuteWidth)
	} else {
		fmt.Fprintf(w, "per minute          unlimited\n")
	}
	if r.Backend == "openwhisk" {
		inv := "unknown"
		if r.InvokerSlots > 0 {
			inv = fmt.Sprintf("%s, room for %d actions of %d MB", plural(r.Invokers, "invoker", "invokers"), r.InvokerSlots, r.ActionMemoryMB)
		} else if r.Invokers > 0 {
			inv = fmt.Sprintf("%s, room unknown (--helm-values)", plural(r.Invokers, "invoker", "invokers"))
		}
		fmt.Fprintf(w, "invokers            %s\n", inv)
	}
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "endpoint            %s\n", endpointLine(e))
	}
	fmt.Fprintf(w, "payload limit       %d bytes\n", r.PayloadLimitBytes)
	if len(r.Kinds) > 0 {
		fmt.Fprintf(w, "go kinds            %s\n", strings.Join(r.Kinds, ", "))
	}
	if r.Kind != "" {
		fmt.Fprintf(w, "deploy uses         %s\n", r.KindWhy)
	}
	if r.Backend != "http" {
		printAction(w, r)
	}
	fmt.Fprintf(w, "cold start          %s\n", seconds(r.ColdStartSeconds))
	fmt.Fprintf(w, "warm invoke         %s\n", seconds(r.WarmInvokeSeconds))
	if t := r.Target; t != nil {
		if t.Reached {
			fmt.Fprintf(w, "target %d           reached: nothing to change\n", t.Concurrency)
		} else {
			fmt.Fprintf(w, "to reach %d at once, set in the chart's values (helm upgrade -f):\n", t.Concurrency)
		}
		for _, c := range t.Changes {
			fmt.Fprintf(w, "  %s: %s   (now %s: %s)\n", c.Key, c.Value, c.Now, c.Why)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// printAction prints the deployed action's line.
func printAction(w io.Writer, r *doctorReport) {
	state := "not deployed"
	if r.Deployed {
		state = "deployed"
	}
	fmt.Fprintf(w, "action              %s: %d MB, %g s", state, r.ActionMemoryMB, r.ActionTimeoutSeconds)
	if len(r.MemoryLimitsMB) == 2 && len(r.TimeLimitsSeconds) == 2 {
		fmt.Fprintf(w, " (allowed %d-%d MB, %g-%g s)", r.MemoryLimitsMB[0], r.MemoryLimitsMB[1], r.TimeLimitsSeconds[0], r.TimeLimitsSeconds[1])
	}
	fmt.Fprintln(w)
}

// endpointLine describes an http endpoint on one line.
func endpointLine(e endpointReport) string {
	if !e.Up {
		return fmt.Sprintf("%s down: %s", e.URL, e.Health)
	}
	switch {
	case e.Concurrency > 0:
		return fmt.Sprintf("%s up, concurrency %d, cold %s, warm %s", e.URL, e.Concurrency, seconds(e.ColdStartSeconds), seconds(e.WarmInvokeSeconds))
	case e.AtLeast > 0:
		return fmt.Sprintf("%s up, concurrency at least %d, cold %s, warm %s", e.URL, e.AtLeast, seconds(e.ColdStartSeconds), seconds(e.WarmInvokeSeconds))
	}
	return fmt.Sprintf("%s up (health %s)", e.URL, e.Health)
}

func seconds(s *float64) string {
	if s == nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f ms", *s*1e3)
}
