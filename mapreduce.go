package overcast

import (
	"context"
	"fmt"
)

// MapReduce runs mapTask on every input and folds the outputs with reduce,
// on the driver, in input order. If any map task fails, reduce is not called
// and the error is the map job's *JobError.
func MapReduce[In, Mid, Out any](ctx context.Context, ex *Executor, mapTask string, inputs []In,
	reduce func(ctx context.Context, mids []Mid) (Out, error)) (Out, error) {
	var zero Out
	mids, err := Map[In, Mid](ctx, ex, mapTask, inputs).Wait(ctx)
	if err != nil {
		return zero, err
	}
	return reduce(ctx, mids)
}

// MapReduceTree runs mapTask on every input, then combines the outputs with
// reduceTask, a registered task of type func(ctx, []Mid) (Mid, error), as a
// tree of remote tasks each taking up to fanIn values, until one value is
// left. The combine must be associative; the order of values is kept.
func MapReduceTree[In, Mid any](ctx context.Context, ex *Executor, mapTask, reduceTask string,
	inputs []In, fanIn int) (Mid, error) {
	var zero Mid
	if fanIn < 2 {
		return zero, fmt.Errorf("overcast: MapReduceTree needs fanIn >= 2, got %d", fanIn)
	}
	if len(inputs) == 0 {
		return zero, fmt.Errorf("overcast: MapReduceTree needs at least one input")
	}
	level, err := Map[In, Mid](ctx, ex, mapTask, inputs).Wait(ctx)
	if err != nil {
		return zero, err
	}
	for len(level) > 1 {
		groups := make([][]Mid, 0, (len(level)+fanIn-1)/fanIn)
		for lo := 0; lo < len(level); lo += fanIn {
			groups = append(groups, level[lo:min(lo+fanIn, len(level))])
		}
		if level, err = Map[[]Mid, Mid](ctx, ex, reduceTask, groups).Wait(ctx); err != nil {
			return zero, fmt.Errorf("reduce level of %d groups: %w", len(groups), err)
		}
	}
	return level[0], nil
}
