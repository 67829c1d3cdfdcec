package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast/sim"
)

// simFlags are the settings of overcast sim.
type simFlags struct {
	opts        sim.Options
	resultLimit int
	payload     int
	kinds       string
	defaultKind string
	helmValues  []string
}

func newSimCmd(stdout, stderr io.Writer) *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve a local OpenWhisk-compatible platform for tests and benchmarks",
		Long: `sim serves the OpenWhisk REST API on a local address. It prints the lines
a ~/.wskprops file holds (APIHOST, AUTH, NAMESPACE), then serves until
interrupted. Actions run as real actionloop processes (--mode process), in
containers that are processes of Apache's own Go actionloop proxy, which
/init and /run as an invoker does (--mode proxy --proxy PATH), or as
goroutines of this process (--mode inproc, for tens of thousands at once).
It models the namespace's limits, cold starts and API latency, and injects
faults from a seeded generator. With --helm-values it takes its limits from
values files of Apache OpenWhisk's Helm chart, as a cluster installed with
them would have them (see deploy/openwhisk).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.applyHelmValues(cmd.Flags()); err != nil {
				return err
			}
			return runSim(cmd, &f, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	o := &f.opts
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:3233", "listen address")
	fs.StringVar(&o.Auth, "auth", "", "uuid:key accepted by basic auth (default random)")
	fs.StringVar(&o.Namespace, "namespace", "guest", "the namespace")
	fs.StringVar(&o.Mode, "mode", sim.ModeInproc, "how actions run: process (actionloop processes of the zip's exec), proxy (Apache's Go proxy as containers) or inproc (goroutines)")
	fs.StringVar(&o.Proxy, "proxy", "", "with --mode proxy: the binary of Apache's Go actionloop proxy (go -C runtime-go build -o PATH ./cmd/loopback-proxy)")
	fs.Var(positive(&o.Concurrency, 1000), "concurrency-limit", "activations in flight allowed per namespace")
	fs.Var(newCount(&o.PerMinute, 0), "per-minute", "invocations allowed per minute (0 = unlimited)")
	fs.DurationVar(&o.ColdStart, "cold-start", 0, "delay added when a container starts")
	fs.DurationVar(&o.APILatency, "api-latency", 0, "delay added to every API call")
	fs.Float64Var(&o.RequestRate, "request-rate", 0, "API calls the controller answers a second, the others wait (0 = unlimited)")
	fs.Var(positive(&f.resultLimit, 1<<20), "result-limit", "largest result in bytes")
	fs.Var(positive(&f.payload, 1<<20), "payload-limit", "largest invoke payload in bytes")
	fs.Float64Var(&o.Faults.CrashRate, "crash-rate", 0, "share of activations that crash")
	fs.Float64Var(&o.Faults.ServerErrorRate, "5xx-rate", 0, "share of invokes answered with a 5xx status")
	fs.Float64Var(&o.Faults.StragglerRate, "straggler-rate", 0, "share of activations slowed down")
	fs.Float64Var(&o.Faults.StragglerSlowdown, "straggler-slowdown", 10, "how many times slower a straggler runs")
	fs.Float64Var(&o.Faults.LostRate, "lost-rate", 0, "share of activations whose record is never stored")
	fs.Var(newCount(&o.Seed, 0), "seed", "seed of the fault generator (0 = random)")
	fs.StringVar(&f.kinds, "kinds", "go:1.22,go:1.23,go:1.24,blackbox", "runtime kinds actions may use, as KIND or KIND=IMAGE, comma-separated (GET / lists them)")
	fs.StringArrayVar(&f.helmValues, "helm-values", nil, "take the limits from a values file of Apache OpenWhisk's Helm chart (repeatable, later files override): concurrent and per-minute limits, action memory and time limits, payload limit, invokers x userMemory as capacity; the kinds are the chart's, go:1.17 and blackbox, unless --kinds")
	fs.StringVar(&f.defaultKind, "default-kind", "", "the default go kind (default the newest go:1.NN of --kinds; none for no default)")
	return cmd
}

// check validates the flags.
func (f *simFlags) check() error {
	o := &f.opts
	switch {
	case o.Mode != sim.ModeInproc && o.Mode != sim.ModeProcess && o.Mode != sim.ModeProxy:
		return usagef("--mode must be %s, %s or %s, got %q", sim.ModeProcess, sim.ModeProxy, sim.ModeInproc, o.Mode)
	case o.Mode == sim.ModeProxy && o.Proxy == "":
		return usagef("--mode proxy needs --proxy PATH, the binary of Apache's Go actionloop proxy")
	case o.Mode != sim.ModeProxy && o.Proxy != "":
		return usagef("--proxy is only for --mode proxy")
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"crash-rate", o.Faults.CrashRate}, {"5xx-rate", o.Faults.ServerErrorRate}, {"straggler-rate", o.Faults.StragglerRate}, {"lost-rate", o.Faults.LostRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return usagef("--%s must be between 0 and 1, got %g", r.name, r.v)
		}
	}
	switch {
	case o.Faults.StragglerSlowdown < 1:
		return usagef("--straggler-slowdown must be at least 1, got %g", o.Faults.StragglerSlowdown)
	case o.ColdStart < 0 || o.APILatency < 0:
		return usagef("--cold-start and --api-latency must not be negative")
	case !(o.RequestRate >= 0):
		return usagef("--request-rate must not be negative, got %g", o.RequestRate)
	}
	o.ResultLimit, o.PayloadLimit = f.resultLimit, f.payload
	kinds, err := sim.ParseKinds(f.kinds, f.defaultKind)
	if err != nil {
		return usagef("--kinds: %v", err)
	}
	o.Kinds = kinds
	return nil
}

func runSim(cmd *cobra.Command, f *simFlags, stdout, stderr io.Writer) error {
	if err := f.check(); err != nil {
		return err
	}
	var mu sync.Mutex
	f.opts.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	if line := helmValuesSummary(f); line != "" {
		f.opts.Logf("%s", line)
	}
	s, err := sim.New(&f.opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "APIHOST=%s\nAUTH=%s\nNAMESPACE=%s\n", s.APIHost(), s.Auth(), s.Namespace())
	<-cmd.Context().Done()
	st := s.Stats()
	f.opts.Logf("sim: stopping: %s, %s, %d throttled, %s, %s, %d 5xx, %d lost, %s, %s, at most %d running",
		plural(st.Invocations, "invocation", "invocations"), plural(st.Activations, "activation", "activations"), st.Throttled,
		plural(st.ColdStarts, "cold start", "cold starts"), plural(st.Crashes, "crash", "crashes"), st.ServerErrors, st.Lost,
		plural(st.Stragglers, "straggler", "stragglers"), plural(st.Timeouts, "timeout", "timeouts"), st.MaxRunning)
	return s.Close()
}
