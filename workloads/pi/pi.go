// Package pi estimates π by Monte Carlo sampling, the seed project's
// original workload. Each task draws its samples from its own generator,
// seeded from the job seed and the task index, and counts the points that
// fall inside the quarter circle as an integer, so the answer is exact and
// reproducible whatever the order in which tasks complete.
package pi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/overcast-sc/overcast"
)

// TaskName is the registered name of the sampling task.
const TaskName = "pi/sample"

func init() { overcast.Register(TaskName, Sample) }

// Input is one task's share of the samples.
type Input struct {
	Samples uint64 `json:"samples"`
	Seed    uint64 `json:"seed"`
}

// Output is one task's count.
type Output struct {
	Inside  uint64 `json:"inside"`
	Samples uint64 `json:"samples"`
}

// Sample is the task: it counts in.Samples points.
func Sample(ctx context.Context, in Input) (Output, error) {
	const chunk = 1 << 24 // check for cancellation every ~25 ms
	var inside uint64
	state := in.Seed
	for left := in.Samples; left > 0; {
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		n := min(left, chunk)
		var c uint64
		c, state = Count(n, state)
		inside += c
		left -= n
	}
	return Output{Inside: inside, Samples: in.Samples}, nil
}

// Count draws n points from a splitmix64 generator in the given state and
// returns how many fall inside the quarter circle, and the next state. A
// point is the two 32-bit halves of one 64-bit output; it is inside when
// x² + y² < 2⁶⁴, i.e. inside the circle of radius 2³².
func Count(n, state uint64) (inside, next uint64) {
	// Two points per iteration: the same sequence, more work in flight.
	for ; n >= 2; n -= 2 {
		a, b := mix(state+golden), mix(state+golden2)
		state += golden2
		inside += in(a) + in(b)
	}
	if n == 1 {
		state += golden
		inside += in(mix(state))
	}
	return inside, state
}

const (
	golden  = 0x9e3779b97f4a7c15
	golden2 = golden * 2 % (1 << 64) // two steps of the generator, mod 2⁶⁴
)

// mix is splitmix64's output function.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// in returns 1 when the point made of z's two 32-bit halves lies inside the
// quarter circle of radius 2³², else 0.
func in(z uint64) uint64 {
	x, y := z>>32, z&0xffffffff
	_, carry := bits.Add64(x*x, y*y, 0)
	return carry ^ 1
}

// TaskSeed derives task i's generator seed from the job seed.
func TaskSeed(seed uint64, i int) uint64 {
	z := seed ^ (uint64(i)+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Plan splits samples over tasks as evenly as possible.
func Plan(samples uint64, tasks int, seed uint64) ([]Input, error) {
	switch {
	case tasks < 1:
		return nil, fmt.Errorf("tasks must be at least 1, got %d", tasks)
	case samples == 0:
		return nil, errors.New("samples must be at least 1")
	case uint64(tasks) > samples:
		return nil, fmt.Errorf("more tasks (%d) than samples (%d)", tasks, samples)
	}
	per, extra := samples/uint64(tasks), samples%uint64(tasks)
	ins := make([]Input, tasks)
	for i := range ins {
		ins[i] = Input{Samples: per, Seed: TaskSeed(seed, i)}
		if uint64(i) < extra {
			ins[i].Samples++
		}
	}
	return ins, nil
}

// Result is the assembled estimate.
type Result struct {
	Inside, Samples uint64
	// Estimate is 4·Inside/Samples.
	Estimate float64
	// StdErr is the estimate's standard error, 4·sqrt(p(1-p)/n).
	StdErr float64
}

// Error returns Estimate − π.
func (r *Result) Error() float64 { return r.Estimate - math.Pi }

// Combine sums task outputs (skipping zero outputs of failed tasks).
func Combine(outs []Output) *Result {
	var r Result
	for _, o := range outs {
		r.Inside += o.Inside
		r.Samples += o.Samples
	}
	if r.Samples > 0 {
		p := float64(r.Inside) / float64(r.Samples)
		r.Estimate = 4 * p
		r.StdErr = 4 * math.Sqrt(p*(1-p)/float64(r.Samples))
	}
	return &r
}

// Run estimates π with samples points over tasks tasks on ex. On failure it
// returns the partial result of the tasks that finished and the job's error.
func Run(ctx context.Context, ex *overcast.Executor, samples uint64, tasks int, seed uint64) (*Result, *overcast.Report, error) {
	ins, err := Plan(samples, tasks, seed)
	if err != nil {
		return nil, nil, err
	}
	f := overcast.Map[Input, Output](ctx, ex, TaskName, ins)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	return Combine(outs), f.Report(), err
}
