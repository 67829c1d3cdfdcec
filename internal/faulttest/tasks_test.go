package faulttest

import (
	"context"
	"encoding/json"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/pi"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// The tasks wrap the workloads' own tasks and echo the input's tag.
const (
	piTask     = "faulttest/pi"
	primesTask = "faulttest/primes"
)

func init() {
	overcast.Register(piTask, func(ctx context.Context, in piIn) (piOut, error) {
		in.tag.executed()
		in.tag.hold(ctx)
		out, err := pi.Sample(ctx, in.Input)
		return piOut{tag: in.tag, Output: out}, err
	})
	overcast.Register(primesTask, func(ctx context.Context, in primesIn) (primesOut, error) {
		in.tag.executed()
		in.tag.hold(ctx)
		out, err := primes.Count(ctx, in.Input)
		return primesOut{tag: in.tag, Output: out}, err
	})
}

type piIn struct {
	tag
	pi.Input
}

type piOut struct {
	tag
	pi.Output
}

// UnmarshalJSON decodes an output and counts its delivery.
func (o *piOut) UnmarshalJSON(b []byte) error {
	type plain piOut
	if err := json.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	o.tag.delivered()
	return nil
}

type primesIn struct {
	tag
	primes.Input
}

type primesOut struct {
	tag
	primes.Output
}

// UnmarshalJSON decodes an output and counts its delivery.
func (o *primesOut) UnmarshalJSON(b []byte) error {
	type plain primesOut
	if err := json.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	o.tag.delivered()
	return nil
}
