package overcast

import (
	"context"
	"encoding/json"
	"fmt"
)

// Futures are the pending outputs of a Map, in input order.
type Futures[Out any] struct {
	j    *job
	outs []Out
}

// Map starts task on every input and returns at once. Inputs are encoded as
// JSON; Wait returns the outputs in input order. Canceling ctx stops
// dispatch: tasks not yet started stay unfinished.
func Map[In, Out any](ctx context.Context, ex *Executor, task string, inputs []In) *Futures[Out] {
	f := &Futures[Out]{outs: make([]Out, len(inputs))}
	j := newJob(ex, task, len(inputs))
	j.encode = func(i int) ([]byte, error) {
		b, err := json.Marshal(inputs[i])
		if err != nil {
			return nil, fmt.Errorf("encode input: %w", err)
		}
		return b, nil
	}
	j.deliver = func(i int, out []byte) error {
		if err := json.Unmarshal(out, &f.outs[i]); err != nil {
			return fmt.Errorf("decode output: %w", err)
		}
		return nil
	}
	j.value = func(i int) any { return inputs[i] }
	j.deliverValue = func(i int, out any) error {
		o, ok := out.(Out)
		if !ok {
			return fmt.Errorf("task output is %T, want %T", out, f.outs[i])
		}
		f.outs[i] = o
		return nil
	}
	j.encodeOut = func(i int) ([]byte, error) { return json.Marshal(f.outs[i]) }
	f.j = j
	go j.run(ctx)
	return f
}

// Wait blocks until every task has succeeded or failed, or the job's
// context was canceled, and returns all outputs in input order. When some
// tasks did not succeed, the error is a *JobError naming them, and the
// returned slice still holds the outputs of those that did (the zero value
// elsewhere). If ctx is done first, Wait returns ctx's error; the job goes on.
func (f *Futures[Out]) Wait(ctx context.Context) ([]Out, error) {
	select {
	case <-f.j.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.outs, f.j.err()
}

// Done is closed when the job has finished.
func (f *Futures[Out]) Done() <-chan struct{} { return f.j.done }

// Len returns the number of tasks.
func (f *Futures[Out]) Len() int { return f.j.n }

// JobID returns the job's id.
func (f *Futures[Out]) JobID() string { return f.j.id }

// Report returns the job's record. Call it after Done is closed.
func (f *Futures[Out]) Report() *Report { return f.j.report() }
