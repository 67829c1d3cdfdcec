package bench

import (
	"context"
	"fmt"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// Workload names.
const (
	// WorkloadPi is Monte Carlo π; its work is counted in samples.
	WorkloadPi = "pi"
	// WorkloadSleep is the modelled task: selftest/echo sleeping; its work
	// is counted in milliseconds.
	WorkloadSleep = "sleep"
)

// Workloads lists the workload names.
var Workloads = []string{WorkloadPi, WorkloadSleep}

// runJob runs n tasks of a workload sharing total units of work (samples
// or milliseconds) as evenly as possible, and returns the job's report.
func runJob(ctx context.Context, ex *overcast.Executor, workload string, n int, total uint64) (*overcast.Report, error) {
	switch workload {
	case WorkloadPi:
		_, rep, err := pi.Run(ctx, ex, total, n, 1)
		return rep, err
	case WorkloadSleep:
		return sleepJob(ctx, ex, n, total)
	}
	return nil, fmt.Errorf("unknown workload %q (known: pi, sleep)", workload)
}

// sleepJob runs n selftest/echo tasks sleeping total milliseconds between
// them.
func sleepJob(ctx context.Context, ex *overcast.Executor, n int, totalMS uint64) (*overcast.Report, error) {
	if n < 1 {
		return nil, fmt.Errorf("tasks must be at least 1, got %d", n)
	}
	per, extra := totalMS/uint64(n), totalMS%uint64(n)
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i] = selftest.Input{N: i, SleepMS: int(per)}
		if uint64(i) < extra {
			ins[i].SleepMS++
		}
	}
	f := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins)
	_, err := f.Wait(context.WithoutCancel(ctx))
	return f.Report(), err
}
