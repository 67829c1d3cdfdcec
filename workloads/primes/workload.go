package primes

import (
	"context"
	"errors"
	"fmt"

	"github.com/overcast-sc/overcast"
)

// TaskName is the registered name of the counting task.
const TaskName = "primes/count"

func init() { overcast.Register(TaskName, Count) }

// Input is one task's range [Lo, Hi).
type Input struct {
	Lo uint64 `json:"lo"`
	Hi uint64 `json:"hi"`
}

// Output is the number of primes in the task's range.
type Output struct {
	Count uint64 `json:"count"`
}

// MaxTo is the largest upper bound the workload accepts.
const MaxTo = 1e13

// Piece is the most numbers Count sieves in one CountRange call: large
// ranges are counted in pieces so that cancellation is prompt.
const Piece = 1 << 27

// Count is the task.
func Count(ctx context.Context, in Input) (Output, error) {
	if in.Lo > in.Hi || in.Hi > MaxTo+1 {
		return Output{}, fmt.Errorf("bad range [%d, %d)", in.Lo, in.Hi)
	}
	var n uint64
	for lo := in.Lo; lo < in.Hi; lo += Piece {
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		n += CountRange(lo, min(lo+Piece, in.Hi))
	}
	return Output{Count: n}, nil
}

// Plan splits [0, to] into tasks ranges of nearly equal length.
func Plan(to uint64, tasks int) ([]Input, error) {
	switch {
	case tasks < 1:
		return nil, fmt.Errorf("tasks must be at least 1, got %d", tasks)
	case to < 1:
		return nil, errors.New("--to must be at least 1")
	case to > MaxTo:
		return nil, fmt.Errorf("--to must be at most %d, got %d", uint64(MaxTo), to)
	case uint64(tasks) > to+1:
		return nil, fmt.Errorf("more tasks (%d) than numbers to sieve (%d)", tasks, to+1)
	}
	n := to + 1
	per, extra := n/uint64(tasks), n%uint64(tasks)
	ins := make([]Input, tasks)
	var lo uint64
	for i := range ins {
		hi := lo + per
		if uint64(i) < extra {
			hi++
		}
		ins[i] = Input{Lo: lo, Hi: hi}
		lo = hi
	}
	return ins, nil
}

// Known holds π(10^k), the number of primes up to 10^k, for k = 1..13.
var Known = map[uint64]uint64{
	1e1: 4, 1e2: 25, 1e3: 168, 1e4: 1229, 1e5: 9592, 1e6: 78498, 1e7: 664579,
	1e8: 5761455, 1e9: 50847534, 1e10: 455052511, 1e11: 4118054813,
	1e12: 37607912018, 1e13: 346065536839,
}

// Run counts the primes up to and including to, over tasks tasks on ex.
// On failure it returns the partial count of the tasks that finished.
func Run(ctx context.Context, ex *overcast.Executor, to uint64, tasks int) (uint64, *overcast.Report, error) {
	ins, err := Plan(to, tasks)
	if err != nil {
		return 0, nil, err
	}
	f := overcast.Map[Input, Output](ctx, ex, TaskName, ins)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	var total uint64
	for _, o := range outs {
		total += o.Count
	}
	return total, f.Report(), err
}
