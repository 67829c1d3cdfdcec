package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	owchart "github.com/overcast-sc/overcast/deploy/openwhisk"
)

// helmValueFlags are the sim's flags --helm-values sets.
var helmValueFlags = []string{"concurrency-limit", "per-minute", "payload-limit"}

// applyHelmValues sets the sim's limits from --helm-values files, read as
// helm layers them over the chart's defaults: the namespace's concurrent
// and per-minute limits, action memory and time bounds, the payload
// limit, and the invokers with their user memory. Unless --kinds says
// otherwise, the kinds are the chart's: go:1.17 and blackbox.
func (f *simFlags) applyHelmValues(fs *pflag.FlagSet) error {
	if len(f.helmValues) == 0 {
		return nil
	}
	for _, name := range helmValueFlags {
		if fs.Changed(name) {
			return usagef("--helm-values sets --%s; give one or the other", name)
		}
	}
	v, err := owchart.Read(f.helmValues...)
	if err != nil {
		return usagef("--helm-values: %v", err)
	}
	if v.Concurrent == 0 || v.PerMinute == 0 {
		return usagef("--helm-values: the limits allow no invocation (concurrent %d, per minute %d)", v.Concurrent, v.PerMinute)
	}
	if !fs.Changed("kinds") && !fs.Changed("default-kind") {
		// The chart's runtimes.json, which values files do not change.
		f.kinds, f.defaultKind = owchart.ChartGoKind+"="+owchart.ChartGoImage+",blackbox", owchart.ChartGoKind
	}
	o := &f.opts
	o.Concurrency, o.PerMinute, f.payload = v.Concurrent, v.PerMinute, v.PayloadBytes
	o.MemoryMB = [3]int{v.MemoryMB.Min, v.MemoryMB.Max, v.MemoryMB.Std}
	o.TimeoutMS = [3]int{v.TimeMS.Min, v.TimeMS.Max, v.TimeMS.Std}
	o.Invokers, o.UserMemoryMB = v.Invokers, v.UserMemoryMB
	return nil
}

// helmValuesSummary describes what the sim took from --helm-values.
func helmValuesSummary(f *simFlags) string {
	if len(f.helmValues) == 0 {
		return ""
	}
	o := &f.opts
	inv := "invokers unbounded (docker container factory: one per node)"
	if o.Invokers > 0 {
		inv = fmt.Sprintf("%s x %d MB of user memory", plural(o.Invokers, "invoker", "invokers"), o.UserMemoryMB)
	}
	return fmt.Sprintf("sim: limits from %s: %d concurrent, %d a minute, action memory %d-%d MB, time %d-%d ms, payload %d bytes, %s",
		strings.Join(f.helmValues, ", "), o.Concurrency, o.PerMinute, o.MemoryMB[0], o.MemoryMB[1], o.TimeoutMS[0], o.TimeoutMS[1], f.payload, inv)
}
