package bench

import (
	"context"
	"fmt"
)

// Scaling modes.
const (
	// Strong scaling splits a fixed total of work over more tasks.
	Strong = "strong"
	// Weak scaling gives every task the same work.
	Weak = "weak"
)

// ScalingOptions describe a scaling measurement.
type ScalingOptions struct {
	// Workload is WorkloadPi or WorkloadSleep.
	Workload string
	// Mode is Strong or Weak.
	Mode string
	// Tasks are the task counts measured, in order; the first is the
	// baseline the others are compared with.
	Tasks []int
	// Work is the total work in strong mode and the work per task in weak
	// mode: samples for pi, milliseconds for sleep.
	Work uint64
	// Row, when set, receives each row as it is measured.
	Row func(ScalingRow)
}

// ScalingRow is one measured task count. With b the baseline (first) row,
// strong scaling's speedup is N_b·T_b/T and its efficiency speedup/N; weak
// scaling's efficiency is T_b/T and its speedup (the scaled speedup)
// efficiency·N. Both take the baseline as perfectly efficient, so the
// ideal is speedup N and efficiency 1.
type ScalingRow struct {
	Tasks       int     `json:"tasks"`
	WallSeconds float64 `json:"wall_seconds"`
	Speedup     float64 `json:"speedup"`
	Efficiency  float64 `json:"efficiency"`
	// WorkPerTask is samples or milliseconds per task.
	WorkPerTask float64 `json:"work_per_task"`
	FailedTasks int     `json:"failed_tasks"`
}

func (o *ScalingOptions) check() error {
	switch {
	case o.Mode != Strong && o.Mode != Weak:
		return fmt.Errorf("mode must be strong or weak, got %q", o.Mode)
	case o.Workload != WorkloadPi && o.Workload != WorkloadSleep:
		return fmt.Errorf("workload must be pi or sleep, got %q", o.Workload)
	case len(o.Tasks) == 0:
		return fmt.Errorf("no task counts to measure")
	case o.Work == 0:
		return fmt.Errorf("work must be positive")
	}
	for _, n := range o.Tasks {
		if n < 1 {
			return fmt.Errorf("task counts must be positive, got %d", n)
		}
		if o.Mode == Strong && o.Workload == WorkloadPi && uint64(n) > o.Work {
			return fmt.Errorf("%d tasks share only %d samples", n, o.Work)
		}
	}
	return nil
}

// Scaling measures one job per task count on target, each in a fresh
// session, and returns the rows.
func Scaling(ctx context.Context, target Target, o *ScalingOptions) ([]ScalingRow, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	var rows []ScalingRow
	for _, n := range o.Tasks {
		total := o.Work
		if o.Mode == Weak {
			total = o.Work * uint64(n)
		}
		wall, failed, err := measure(ctx, target, o.Workload, n, total)
		if err != nil {
			return rows, fmt.Errorf("%d tasks: %w", n, err)
		}
		row := ScalingRow{Tasks: n, WallSeconds: wall, WorkPerTask: float64(total) / float64(n), FailedTasks: failed}
		if len(rows) > 0 {
			row.Speedup, row.Efficiency = compare(o.Mode, rows[0], row)
		} else {
			row.Speedup, row.Efficiency = 1, 1
		}
		rows = append(rows, row)
		if o.Row != nil {
			o.Row(row)
		}
	}
	return rows, nil
}

// compare returns row's speedup and efficiency against the baseline b.
func compare(mode string, b, row ScalingRow) (speedup, efficiency float64) {
	if row.WallSeconds <= 0 {
		return 0, 0
	}
	ratio := b.WallSeconds / row.WallSeconds
	if mode == Strong {
		return ratio * float64(b.Tasks), ratio * float64(b.Tasks) / float64(row.Tasks)
	}
	return ratio * float64(row.Tasks), ratio
}

// measure runs one job of n tasks in a fresh session and returns its wall
// time in seconds and its failed tasks.
func measure(ctx context.Context, target Target, workload string, n int, total uint64) (float64, int, error) {
	s, err := target.Open(ctx, n)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	rep, err := runJob(ctx, s.Ex, workload, n, total)
	if rep == nil {
		return 0, 0, err
	}
	failed := len(rep.Failed)
	if err != nil && failed == 0 {
		return 0, 0, err
	}
	return rep.Wall().Seconds(), failed, nil
}
