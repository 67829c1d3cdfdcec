package overcast

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/overcast-sc/overcast/worker"
)

// Register makes fn available as a task named name, with its input and
// output encoded as JSON. Call it from an init function (or before the
// first Map) in the binary that both drives and serves tasks. It panics if
// name is already registered.
func Register[In, Out any](name string, fn func(ctx context.Context, in In) (Out, error)) {
	raw := func(ctx context.Context, input []byte) ([]byte, error) {
		var in In
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, &worker.TaskError{Kind: "input", Message: fmt.Sprintf("task %s: decode input: %v", name, err)}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("task %s: encode output: %w", name, err)
		}
		return b, nil
	}
	value := func(ctx context.Context, input any) (any, error) {
		in, ok := input.(In)
		if !ok {
			return nil, &worker.TaskError{Kind: "input", Message: fmt.Sprintf("task %s: input is %T, want %T", name, input, in)}
		}
		return fn(ctx, in)
	}
	worker.RegisterTask(&worker.Task{Name: name, Raw: raw, Value: value})
}

// Tasks returns the names of the registered tasks, sorted.
func Tasks() []string { return worker.Names() }
