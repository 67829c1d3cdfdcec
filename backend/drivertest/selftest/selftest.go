// Package selftest registers small tasks with known behaviour: echo,
// failure, panic, sleep and flaky. The conformance suite in package
// drivertest runs them on every backend, and since they are compiled into
// the overcast binary, a deployed worker can be checked the same way.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/worker"
)

// Task names.
const (
	Echo  = "selftest/echo"
	Flaky = "selftest/flaky"
)

// Input tells a selftest task what to do.
type Input struct {
	// N is echoed back.
	N int `json:"n"`
	// Fail makes the task return an error with this message.
	Fail string `json:"fail,omitempty"`
	// Panic makes the task panic with this message.
	Panic string `json:"panic,omitempty"`
	// SleepMS makes the task sleep (respecting its context) first.
	SleepMS int `json:"sleep_ms,omitempty"`
	// Exit makes the worker process exit with this code (remote only).
	Exit int `json:"exit,omitempty"`
	// Pad is echoed back, to test payload sizes.
	Pad string `json:"pad,omitempty"`
	// Log makes the task write this line to standard error first, to test
	// that a platform's logs reach the user.
	Log string `json:"log,omitempty"`
}

// Output is what Echo returns.
type Output struct {
	N       int    `json:"n"`
	Attempt int    `json:"attempt"`
	Pad     string `json:"pad,omitempty"`
}

func init() {
	overcast.Register(Echo, echo)
	overcast.Register(Flaky, flaky)
}

// ErrExitRefused is returned when a task asks to exit a driver process.
var ErrExitRefused = errors.New("selftest: exit refused in the driver's own process")

func echo(ctx context.Context, in Input) (Output, error) {
	if in.Log != "" {
		fmt.Fprintln(os.Stderr, in.Log)
	}
	if in.SleepMS > 0 {
		t := time.NewTimer(time.Duration(in.SleepMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return Output{}, ctx.Err()
		}
	}
	switch {
	case in.Fail != "":
		return Output{}, errors.New(in.Fail)
	case in.Panic != "":
		panic(in.Panic)
	case in.Exit != 0:
		if err := exit(ctx, in.Exit); err != nil {
			return Output{}, err
		}
	}
	return Output{N: in.N, Attempt: attempt(ctx), Pad: in.Pad}, nil
}

// flaky fails on its first attempt and succeeds on later ones.
func flaky(ctx context.Context, in Input) (Output, error) {
	if a := attempt(ctx); a <= 1 {
		return Output{}, fmt.Errorf("flaky: failing attempt %d on purpose", a)
	}
	return echo(ctx, in)
}

func attempt(ctx context.Context) int {
	if r := worker.RequestFrom(ctx); r != nil {
		return r.Attempt
	}
	return 0
}
