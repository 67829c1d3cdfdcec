package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
)

// Job is a computation the command line runs as `run NAME`: the built-in
// workloads are Jobs, and a program adds its own with WithJobs. A run of a
// job gets everything run offers: the backend flags, deployment, the
// journal and jobs resume, the progress bar, the estimate, --json, cost
// and plots.
//
//	var job = &cli.Job{
//		Name:  "sum",
//		Short: "Add numbers in parallel",
//		Setup: func(fs *pflag.FlagSet) cli.Plan {
//			var n int
//			fs.Var(cli.Positive(&n, 100), "n", "numbers to add")
//			return cli.Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*cli.Result, error) {
//				f := overcast.Map[int, int](ctx, ex, "sum/square", inputs(n))
//				outs, err := f.Wait(context.WithoutCancel(ctx))
//				return &cli.Result{Answer: total(outs), Report: f.Report()}, err
//			}}
//		},
//	}
type Job struct {
	// Name is run's subcommand: letters, digits, '-' and '_'.
	Name string
	// Short is the one line that help and the tasks command show.
	Short string
	// Example is shown by run NAME --help, each line indented.
	Example string
	// Setup declares the job's flags on fs (run's own flags are added
	// after them) and returns how to run the job once they are parsed.
	Setup func(fs *pflag.FlagSet) Plan
}

// Plan is a job whose flags are parsed, ready to run.
type Plan struct {
	// Run runs the job on ex. It returns the result of the tasks that
	// finished, with the job's error when some did not (the run is then
	// partial: printed so, and not checked), or a nil result
	// and an error when there is nothing to show; an error made by Usage
	// or Usagef exits with status 2. ex's job id (ex.JobID) is the run's,
	// and names the job's data in storage.
	Run func(ctx context.Context, ex *overcast.Executor) (*Result, error)
	// Size, when set, estimates the job before it starts: the CPU time it
	// needs at this machine's speed (a minute or more is announced with
	// how long the job should take; zero skips that) and how many tasks
	// it starts (more than zero first checks that the driver's memory and
	// the journal's disk can hold them).
	Size func() (cpu time.Duration, tasks int)
}

// Result is what a run of a job computed.
type Result struct {
	// Answer is --json's "answer": any value encoding/json encodes. It
	// is left out (null) when no task finished.
	Answer any
	// Summary is the line printed above the job's figures; empty means
	// "NAME: ANSWER".
	Summary string
	// Check compares the answer with an independent value; nil means
	// not checked. A partial run (Run returned an error) is never
	// checked: its --json "check" is null whatever Check holds.
	Check *Check
	// Report is the record of the job's tasks (Futures.Report, or a
	// shuffle.Result's Report). It is required.
	Report *overcast.Report
	// Work is how much work the finished tasks did, in Unit, for the
	// rate; an empty Unit means the finished tasks, counted.
	Work float64
	Unit string
	// Details are --json's "details".
	Details map[string]any
}

// Check is a comparison of a job's answer with an expected value: the
// expected value, the answer's error against it, and whether the answer
// passed. A partial run is not checked (--json's "check" is null, as for
// a job without a check), and a check whose figures are not finite does
// not pass.
type Check struct {
	Expected float64 `json:"expected"`
	Error    float64 `json:"error"`
	OK       bool    `json:"ok"`
}

// Within checks got against want: it passes when both are finite and
// |got − want| ≤ tol. A tolerance that is negative or not finite never
// passes; derive tol from the data (say, 4 standard errors of a Monte
// Carlo estimate), not from the answer's distance to want.
func Within(got, want, tol float64) *Check {
	c := &Check{Expected: want, Error: got - want}
	c.OK = finite(got) && finite(want) && finite(tol) && tol >= 0 && math.Abs(c.Error) <= tol
	return c
}

// Equal checks a count against an exact expected count.
func Equal[T int | int64 | uint64](got, want T) *Check {
	return &Check{Expected: float64(want), Error: float64(got) - float64(want), OK: got == want}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// sane returns the check as printed: none when the run is partial, and
// with figures JSON can hold.
func (c *Check) sane(partial bool) *Check {
	if c == nil || partial {
		return nil
	}
	s := *c
	if !finite(s.Expected) || !finite(s.Error) {
		s.OK = false
	}
	if !finite(s.Expected) {
		s.Expected = 0
	}
	if !finite(s.Error) {
		s.Error = 0
	}
	return &s
}

// Usage marks err as an error in how the command was called: the run
// prints it as one line and exits with status 2.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// Usagef is Usage of an error formatted as fmt.Errorf does.
func Usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Count returns a flag value for a whole number from 0, stored in p and
// starting at def, written plainly (1000), in scientific notation (1e3)
// or with underscores (1_000), as every count flag of overcast is.
func Count[T int | int64 | uint64](p *T, def T) pflag.Value {
	return newCount(p, def)
}

// Positive is Count for whole numbers from 1. A def of 0 means "not set":
// the flag's help must say what the default is.
func Positive[T int | int64 | uint64](p *T, def T) pflag.Value {
	return positive(p, def)
}

// JobStorage returns the URL of the bucket a job keeps its intermediate
// data in: the executor's storage (--storage, $OVERCAST_STORAGE) when
// given; on the local backend, a temporary directory that done removes.
// Remote workers cannot see this machine's files, so other backends need
// storage: without it the error is a usage error saying so.
func JobStorage(ctx context.Context, ex *overcast.Executor) (url string, done func(), err error) {
	if b, err := ex.Storage(ctx); err == nil {
		return b.URL, func() {}, nil
	} else if !errors.Is(err, overcast.ErrNoStorage) {
		return "", nil, err
	}
	if ex.Backend().Name() != "local" {
		return "", nil, usagef("backend %s needs --storage URL (file:// the workers can reach, or s3://)", ex.Backend().Name())
	}
	dir, err := os.MkdirTemp("", "overcast-job-")
	if err != nil {
		return "", nil, err
	}
	return "file://" + dir, func() { os.RemoveAll(dir) }, nil
}
