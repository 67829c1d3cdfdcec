package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/overcast-sc/overcast"
)

// FanoutOptions describe a fan-out measurement: Tasks tasks that each
// sleep TaskMS milliseconds, all allowed at once.
type FanoutOptions struct {
	Tasks  int
	TaskMS int
}

// FanoutResult is one fan-out measurement. Times are seconds from the
// job's start (the naive client's: its first invoke).
type FanoutResult struct {
	// Client is "overcast" or "naive".
	Client string `json:"client"`
	Tasks  int    `json:"tasks"`
	TaskMS int    `json:"task_ms"`
	// TimeToAllRunningSeconds is when the last task started running; every
	// task counts, and a failed one as running only when its last attempt
	// returned.
	TimeToAllRunningSeconds float64 `json:"time_to_all_running_seconds"`
	// MakespanSeconds is when the client had every result.
	MakespanSeconds float64 `json:"makespan_seconds"`
	// LastEndSeconds is when the last task stopped running: the rest of
	// the makespan is spent collecting results.
	LastEndSeconds float64 `json:"last_end_seconds"`
	// InvocationsPerSecond is tasks over the time until the platform had
	// accepted the last invocation, as the driver saw it (or, when the
	// platform does not say, until the last task started).
	InvocationsPerSecond float64 `json:"invocations_per_second"`
	// LastAcceptedSeconds is when the last invocation was accepted.
	LastAcceptedSeconds float64 `json:"last_accepted_seconds"`
	// MaxRunning is the most tasks running at once.
	MaxRunning  int `json:"max_running"`
	FailedTasks int `json:"failed_tasks"`
	// Curve is the number of tasks running over time, a step at each
	// start and end.
	Curve []Point `json:"-"`
}

// Point is a count at a time in seconds.
type Point struct {
	T float64
	N int
}

// Fanout runs one job of o.Tasks sleeping tasks on a fresh session of
// target and measures how fast they all ran.
func Fanout(ctx context.Context, target Target, o *FanoutOptions) (*FanoutResult, error) {
	if o.Tasks < 1 || o.TaskMS < 0 {
		return nil, fmt.Errorf("fanout needs at least 1 task and a task time of at least 0 ms")
	}
	s, err := target.Open(ctx, o.Tasks)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rep, err := sleepJob(ctx, s.Ex, o.Tasks, uint64(o.Tasks)*uint64(o.TaskMS))
	if rep == nil {
		return nil, err
	}
	if err != nil && len(rep.Failed) == 0 {
		return nil, err
	}
	return fromReport("overcast", o, rep), nil
}

// fromReport measures a finished job. A task that failed counts as
// running from when its last attempt returned (or the job's end), so a
// failure never makes "all running" come sooner; only the tasks that ran
// to the end draw the curve of tasks running.
func fromReport(client string, o *FanoutOptions, rep *overcast.Report) *FanoutResult {
	t0 := rep.Start.UnixNano()
	starts, ends := make([]int64, 0, o.Tasks), make([]int64, 0, o.Tasks)
	var lastStart, lastAccepted int64
	for i := range rep.Records.Len() {
		r := rep.Records.At(i)
		lastAccepted = max(lastAccepted, r.Dispatched-t0)
		switch {
		case r.State == overcast.Done && r.Start != 0:
			starts, ends = append(starts, r.Start-t0), append(ends, r.End-t0)
			lastStart = max(lastStart, r.Start-t0)
		case r.Returned != 0:
			lastStart = max(lastStart, r.Returned-t0)
		default:
			lastStart = max(lastStart, rep.End.UnixNano()-t0)
		}
	}
	res := summarize(client, o, starts, ends, rep.End.Sub(rep.Start), len(rep.Failed))
	res.TimeToAllRunningSeconds = time.Duration(lastStart).Seconds()
	if lastAccepted > 0 {
		res.setAccepted(time.Duration(lastAccepted))
	} else {
		res.setAccepted(time.Duration(lastStart))
	}
	return res
}

// summarize computes a result from the tasks' start and end times in ns
// since the job's start.
func summarize(client string, o *FanoutOptions, starts, ends []int64, makespan time.Duration, failed int) *FanoutResult {
	r := &FanoutResult{Client: client, Tasks: o.Tasks, TaskMS: o.TaskMS, MakespanSeconds: makespan.Seconds(), FailedTasks: failed}
	r.Curve, r.MaxRunning = runningCurve(starts, ends)
	if len(starts) > 0 {
		last := slices.Max(starts)
		r.TimeToAllRunningSeconds = time.Duration(last).Seconds()
		r.LastEndSeconds = time.Duration(slices.Max(ends)).Seconds()
		r.setAccepted(time.Duration(last))
	}
	return r
}

func (r *FanoutResult) setAccepted(d time.Duration) {
	r.LastAcceptedSeconds = d.Seconds()
	if d > 0 {
		r.InvocationsPerSecond = float64(r.Tasks) / d.Seconds()
	}
}

// runningCurve returns the number of tasks running after each start and
// end, and the most at once.
func runningCurve(starts, ends []int64) ([]Point, int) {
	type step struct {
		t int64
		d int
	}
	steps := make([]step, 0, 2*len(starts))
	for i := range starts {
		steps = append(steps, step{starts[i], 1}, step{max(ends[i], starts[i]), -1})
	}
	slices.SortFunc(steps, func(a, b step) int {
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		return a.d - b.d // an end before a start at the same instant
	})
	curve := make([]Point, 0, len(steps)+1)
	curve = append(curve, Point{0, 0})
	n, most := 0, 0
	for _, s := range steps {
		n += s.d
		most = max(most, n)
		curve = append(curve, Point{time.Duration(s.t).Seconds(), n})
	}
	return curve, most
}
