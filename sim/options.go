package sim

import (
	"fmt"
	"os"
	"time"
)

// Options configures a Server. The zero value of every field is sensible.
type Options struct {
	// Addr is the listen address, default "127.0.0.1:0".
	Addr string
	// Auth is the "uuid:key" pair HTTP basic auth accepts; empty means a
	// random one.
	Auth string
	// Namespace is the auth's own namespace, default "guest".
	Namespace string
	// Mode is "inproc" (the default: goroutines calling worker.Handle),
	// "process" (real actionloop processes of the action's exec) or "proxy"
	// (containers that are real processes of Apache's Go actionloop proxy,
	// the program Proxy names, initialized and run as an invoker does).
	Mode string
	// Proxy is the path of Apache's Go actionloop proxy for mode "proxy"
	// (built from apache/openwhisk-runtime-go's proxy package).
	Proxy string
	// Concurrency is the namespace's limit of activations in flight,
	// default 1000.
	Concurrency int
	// PerMinute is the namespace's limit of invocations in any 60 seconds;
	// zero means unlimited.
	PerMinute int
	// MemoryMB and TimeoutMS bound actions' memory (MB) and time (ms)
	// limits, as a chart's whisk.limits.actions.memory and .time do: min,
	// max and the default of an action that sets none. A zero keeps
	// OpenWhisk's: 128, 512 and 256 MB; 100, 300000 and 60000 ms.
	MemoryMB, TimeoutMS [3]int
	// Invokers and UserMemoryMB model the cluster's invokers, as a chart's
	// invoker replicas and whisk.containerPool.userMemory do: each runs
	// actions whose memory adds up to at most UserMemoryMB, and an
	// activation that finds no invoker with room waits in one's queue
	// until an action ends. GET /invokers lists them. Zero Invokers means
	// no such bound.
	Invokers, UserMemoryMB int
	// ColdStart is added whenever a new container starts (in process mode,
	// on top of the real process start).
	ColdStart time.Duration
	// APILatency is added to every REST call before it is answered.
	APILatency time.Duration
	// RequestRate is how many REST calls a second the controller answers;
	// the others wait their turn. It models the platform's own throughput,
	// which APILatency alone does not bound. Zero means unlimited.
	RequestRate float64
	// ResultLimit bounds an activation's result in bytes, default 1 MiB.
	ResultLimit int
	// PayloadLimit bounds an invoke's parameters in bytes, default 1 MiB.
	PayloadLimit int
	// MaxActivations bounds the activation records kept in memory (the
	// oldest go first), default 1,000,000.
	MaxActivations int
	// Kinds are the runtime kinds actions may use, as GET / lists them;
	// nil means DefaultKinds(). An action of another kind is refused.
	Kinds []Kind
	// Faults are the injected failures.
	Faults Faults
	// Seed seeds the fault generator; zero means a random seed.
	Seed int64
	// Logf, when set, receives one line per notable event.
	Logf func(format string, args ...any)
}

// Faults are probabilities in [0,1] of injected failures, drawn once per
// accepted invocation.
type Faults struct {
	// CrashRate is the share of activations whose container crashes: they
	// end as "action developer error" (in process mode the process is
	// killed).
	CrashRate float64
	// ServerErrorRate is the share of invoke requests answered with a 5xx
	// status (503, 500 or 502) and no activation, without running anything.
	ServerErrorRate float64
	// StragglerRate is the share of activations slowed down by
	// StragglerSlowdown.
	StragglerRate float64
	// LostRate is the share of activations accepted (202 with an id) whose
	// record is never stored.
	LostRate float64
	// StragglerSlowdown is how many times slower a straggler runs: it
	// sleeps (slowdown-1) times its natural duration, or times 100 ms when
	// that is shorter. Default 10.
	StragglerSlowdown float64
}

// Mode names.
const (
	ModeInproc  = "inproc"
	ModeProcess = "process"
	ModeProxy   = "proxy"
)

const (
	defaultLimitBytes     = 1 << 20
	defaultConcurrency    = 1000
	defaultMaxActivations = 1_000_000
	defaultSlowdown       = 10
)

// withDefaults returns a checked copy of o with defaults filled in.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Namespace == "" {
		c.Namespace = "guest"
	}
	if c.Mode == "" {
		c.Mode = ModeInproc
	}
	if c.Concurrency == 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.ResultLimit == 0 {
		c.ResultLimit = defaultLimitBytes
	}
	if c.PayloadLimit == 0 {
		c.PayloadLimit = defaultLimitBytes
	}
	if c.MaxActivations == 0 {
		c.MaxActivations = defaultMaxActivations
	}
	if c.Faults.StragglerSlowdown == 0 {
		c.Faults.StragglerSlowdown = defaultSlowdown
	}
	if c.Kinds == nil {
		c.Kinds = DefaultKinds()
	} else {
		c.Kinds = append([]Kind(nil), c.Kinds...)
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c, c.check()
}

func (o *Options) check() error {
	switch {
	case o.Mode != ModeInproc && o.Mode != ModeProcess && o.Mode != ModeProxy:
		return fmt.Errorf("sim: unknown mode %q (want %q, %q or %q)", o.Mode, ModeInproc, ModeProcess, ModeProxy)
	case o.Mode == ModeProxy && o.Proxy == "":
		return fmt.Errorf("sim: mode %q needs the path of Apache's Go actionloop proxy", ModeProxy)
	case o.Mode == ModeProxy && !isExecutable(o.Proxy):
		return fmt.Errorf("sim: the proxy %s is not an executable file", o.Proxy)
	case o.Concurrency < 0, o.PerMinute < 0, o.ResultLimit < 0, o.PayloadLimit < 0, o.MaxActivations < 0:
		return fmt.Errorf("sim: limits must be positive")
	case o.Invokers < 0 || o.UserMemoryMB < 0 || (o.Invokers > 0 && o.UserMemoryMB == 0):
		return fmt.Errorf("sim: invokers need their user memory, and neither may be negative")
	case !limitsInOrder(o.MemoryMB, memoryBound, defaultLimits.Memory) || !limitsInOrder(o.TimeoutMS, timeoutBound, defaultLimits.Timeout):
		return fmt.Errorf("sim: action limits need min <= default <= max, got memory %v MB, time %v ms", o.MemoryMB, o.TimeoutMS)
	case o.ColdStart < 0 || o.APILatency < 0:
		return fmt.Errorf("sim: durations must not be negative")
	case !(o.RequestRate >= 0):
		return fmt.Errorf("sim: request rate must not be negative, got %g", o.RequestRate)
	case o.Faults.StragglerSlowdown < 1:
		return fmt.Errorf("sim: straggler slowdown must be at least 1, got %g", o.Faults.StragglerSlowdown)
	}
	if err := validAuth(o.Auth); o.Auth != "" && err != nil {
		return err
	}
	if err := checkKinds(o.Kinds); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	f := o.Faults
	for _, r := range []struct {
		name string
		v    float64
	}{{"crash", f.CrashRate}, {"server error", f.ServerErrorRate}, {"straggler", f.StragglerRate}, {"lost", f.LostRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("sim: %s rate must be in [0,1], got %g", r.name, r.v)
		}
	}
	return nil
}

// isExecutable reports whether path is a regular file someone may execute.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// limitsInOrder reports whether v (min, max, default) is not negative
// and, once its zeros take b's values and std, in order.
func limitsInOrder(v [3]int, b limitBound, std int) bool {
	lo, hi := b.min, b.max
	if v[0] > 0 {
		lo = v[0]
	}
	if v[1] > 0 {
		hi = v[1]
	}
	if v[2] > 0 {
		std = v[2]
	}
	return v[0] >= 0 && v[1] >= 0 && v[2] >= 0 && lo <= std && std <= hi
}
