package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/pi"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// bigJob is the estimated CPU time from which a run says what it is about
// to cost before it starts.
const bigJob = time.Minute

// sizeUp runs a job's Size, when it has one, before the job is
// dispatched: for a big job it tells about how much CPU time it needs and
// how long it should take at the executor's concurrency (on stderr only,
// so that --json output stays one object); for a job that counts its
// tasks it checks that they fit this machine (see preflight).
func (a *app) sizeUp(size func() (time.Duration, int), ex *overcast.Executor) error {
	if size == nil {
		return nil
	}
	cpu, tasks := size()
	if cpu >= bigJob {
		a.printf("%s", estimateLine(cpu, tasks, ex.Concurrency(), ex.Backend().Name()))
	}
	if tasks > 0 {
		return a.preflight(ex, tasks)
	}
	return nil
}

// estimateLine says what cpu of work over tasks tasks means at
// concurrency tasks in flight on backend.
func estimateLine(cpu time.Duration, tasks, concurrency int, backend string) string {
	lanes := max(1, min(tasks, concurrency))
	wall := cpu / time.Duration(lanes)
	return fmt.Sprintf("estimate: about %s core-hours of work at this machine's speed; ~%s on %s at %s in flight (Ctrl-C stops it, jobs resume goes on)",
		twoFigures(cpu.Hours()), roughDuration(wall), backend, plural(lanes, "task", "tasks"))
}

// roughDuration writes d to two significant figures in its largest unit.
func roughDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return twoFigures(d.Hours()) + " hours"
	case d >= time.Minute:
		return twoFigures(d.Minutes()) + " minutes"
	}
	return twoFigures(d.Seconds()) + " seconds"
}

// twoFigures writes x with two significant figures, without an exponent.
func twoFigures(x float64) string {
	if x >= 100 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2g", x)
}

// timeSlice times fn, which does slice units of a job of total units, and
// scales it to the whole job.
func timeSlice(slice, total float64, fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Duration(float64(time.Since(start)) * total / slice)
}

// smallJob is the work (samples, numbers) under which no workload needs a
// minute of CPU time, so sizing skips its calibration.
const smallJob = 1e9

// sizePi times pi's sampling on a slice of samples.
func sizePi(samples uint64, tasks int) (time.Duration, int) {
	if samples < smallJob {
		return 0, tasks
	}
	const slice = 1 << 22
	in := pi.Input{Samples: slice, Seed: 1}
	return timeSlice(slice, float64(samples), func() { pi.Sample(context.Background(), in) }), tasks
}

// sizePrimes times the sieve on a slice from the middle of [0, to]: a
// small slice first, whose fixed costs make it an upper bound, then, for a
// big job, one piece as the task sieves it.
func sizePrimes(to uint64, tasks int) (time.Duration, int) {
	if to < smallJob || to > primes.MaxTo {
		return 0, tasks // small, or a usage error the run reports
	}
	lo := to / 2
	const probe = 1 << 22
	cpu := timeSlice(probe, float64(to), func() { primes.CountRange(lo, lo+probe) })
	if cpu < bigJob {
		return cpu, tasks
	}
	return timeSlice(primes.Piece, float64(to), func() { primes.CountRange(lo, lo+primes.Piece) }), tasks
}
