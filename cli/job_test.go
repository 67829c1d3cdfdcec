package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
)

func TestWithinCannotPassByAccident(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		got, want, tol float64
		ok             bool
	}{
		{1, 1, 0, true}, {1.5, 1, 0.5, true}, {0.5, 1, 0.5, true}, {1.6, 1, 0.5, false},
		{nan, 1, 1, false}, {1, nan, 1, false}, {1, 1, nan, false}, {1, 1, inf, false}, {inf, inf, 1, false}, {1, 1, -1, false},
	} {
		c := Within(tt.got, tt.want, tt.tol)
		if c.OK != tt.ok || c.Expected != tt.want && !math.IsNaN(tt.want) {
			t.Errorf("Within(%v, %v, %v) = %+v, want ok %v", tt.got, tt.want, tt.tol, c, tt.ok)
		}
	}
	if c := Equal[uint64](3, 5); c.OK || c.Error != -2 || c.Expected != 5 {
		t.Errorf("Equal(3, 5) = %+v", c)
	}
	if c := (&Check{Expected: 1, OK: true}).sane(true); c != nil {
		t.Errorf("a partial run was checked: %+v", c)
	}
	if c := (&Check{Expected: nan, Error: inf, OK: true}).sane(false); c.OK || c.Expected != 0 || c.Error != 0 {
		t.Errorf("a check of NaN figures: %+v", c)
	}
}

// squareJob is a user job defined as the README shows: it squares 1..n
// in tasks and checks the sum against n(n+1)(2n+1)/6.
var squareJob = &Job{
	Name:  "squares",
	Short: "Sum the squares of 1..n",
	Setup: func(fs *pflag.FlagSet) Plan {
		var n int
		fs.Var(Positive(&n, 10), "n", "how many squares")
		return Plan{
			Size: func() (time.Duration, int) { return 0, n },
			Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
				ins := make([]int, n)
				for i := range ins {
					ins[i] = i + 1
				}
				f := overcast.Map[int, int](ctx, ex, "clitest/square", ins)
				outs, err := f.Wait(ctx)
				sum := 0
				for _, o := range outs {
					sum += o
				}
				return &Result{Answer: sum, Report: f.Report(), Check: Equal(sum, n*(n+1)*(2*n+1)/6)}, err
			},
		}
	},
}

// squareFailsAbove makes clitest/square fail for inputs above it.
var squareFailsAbove atomic.Int64

func init() {
	squareFailsAbove.Store(math.MaxInt64)
	overcast.Register("clitest/square", func(_ context.Context, x int) (int, error) {
		if int64(x) > squareFailsAbove.Load() {
			return 0, fmt.Errorf("%d is too big today", x)
		}
		return x * x, nil
	})
}

func TestUserJobRunsThroughTheCLI(t *testing.T) {
	t.Setenv("OVERCAST_HOME", t.TempDir())
	t.Setenv("OVERCAST_JOURNAL", "") // journaled, for jobs resume
	c := New(WithJobs(squareJob))
	var stdout, stderr strings.Builder
	code := c.Run(context.Background(), []string{"run", "squares", "--n", "20", "--json", "--job-id", "sq"}, &stdout, &stderr)
	var r resultJSON
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil || code != 0 {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	if r.Workload != "squares" || r.Answer != 2870.0 || r.Check == nil || !r.Check.OK || r.Tasks != 20 || r.Unit != "tasks/s" {
		t.Errorf("run squares: %+v", r)
	}
	stdout.Reset()
	if code := c.Run(context.Background(), []string{"run", "squares", "--n", "3"}, &stdout, &stderr); code != 0 ||
		!strings.HasPrefix(stdout.String(), "squares: 14\n") {
		t.Errorf("without a summary: exit %d, %q", code, stdout.String())
	}
	stdout.Reset()
	// jobs resume runs the program's own command line.
	if code := c.Run(context.Background(), []string{"jobs", "resume", "sq"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "already done: answer 2870") {
		t.Errorf("jobs resume: exit %d, %q %q", code, stdout.String(), stderr.String())
	}
	// A failed run resumes through the program's command line: only its
	// failed tasks run again.
	squareFailsAbove.Store(15)
	stdout.Reset()
	if code := c.Run(context.Background(), []string{"run", "squares", "--n", "20", "--json", "--job-id", "sq2"}, &stdout, &stderr); code != 1 {
		t.Fatalf("a run with failing tasks: exit %d", code)
	}
	// A partial run is not checked: its check is null, as a built-in's is,
	// though the job returned one.
	var partial map[string]any
	if err := json.Unmarshal([]byte(stdout.String()), &partial); err != nil {
		t.Fatalf("a partial run's --json: %v\n%s", err, stdout.String())
	}
	if check, ok := partial["check"]; !ok || check != nil || partial["complete"] != false {
		t.Errorf("a partial run's check: %v (present %v), complete %v; want null", check, ok, partial["complete"])
	}
	squareFailsAbove.Store(math.MaxInt64)
	stdout.Reset()
	code = c.Run(context.Background(), []string{"jobs", "resume", "sq2", "--json"}, &stdout, &stderr)
	var resumed resultJSON
	if err := json.Unmarshal([]byte(stdout.String()), &resumed); err != nil || code != 0 || resumed.Answer != 2870.0 || !resumed.Check.OK {
		t.Errorf("jobs resume of a failed user job: exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	if code := Run(context.Background(), []string{"run", "squares"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("the overcast command knows the user's job: exit %d", code)
	}
}

func TestBadJobsAreUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		jobs []*Job
		want string
	}{
		{[]*Job{{Name: "pi", Setup: squareJob.Setup}}, `two jobs are named "pi"`},
		{[]*Job{{Name: "two words", Setup: squareJob.Setup}}, `job name "two words"`},
		{[]*Job{{Name: "", Setup: squareJob.Setup}}, `job name ""`},
		{[]*Job{{Name: "nosetup"}}, "no Setup"},
	} {
		var stderr strings.Builder
		code := New(WithJobs(tt.jobs...)).Run(context.Background(), []string{"tasks"}, &strings.Builder{}, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("jobs %+v: exit %d, %q; want exit 2 and one line with %q", tt.jobs[0], code, stderr.String(), tt.want)
		}
	}
}

// TestFailedCheckExitsNonZero runs a job whose every task succeeds but
// whose answer fails its check: the result is printed, and the run says
// so on one line and exits 1, as a script needs.
func TestFailedCheckExitsNonZero(t *testing.T) {
	t.Setenv("OVERCAST_JOURNAL", "off")
	wrong := &Job{Name: "wrongsquares", Short: "Sum squares, checked against a wrong sum",
		Setup: func(fs *pflag.FlagSet) Plan {
			return Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
				f := overcast.Map[int, int](ctx, ex, "clitest/square", []int{1, 2, 3})
				outs, err := f.Wait(ctx)
				sum := 0
				for _, o := range outs {
					sum += o
				}
				return &Result{Answer: sum, Report: f.Report(), Check: Equal(sum, 15)}, err
			}}
		}}
	var stdout, stderr strings.Builder
	code := New(WithJobs(wrong)).Run(context.Background(), []string{"run", "wrongsquares", "--json"}, &stdout, &stderr)
	var r resultJSON
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil || r.Check == nil || r.Check.OK || r.Answer != 14.0 {
		t.Fatalf("stdout %q (%v): want the result with a failed check", stdout.String(), err)
	}
	if line := strings.TrimSpace(stderr.String()); code != exitFailed || strings.Contains(line, "\n") || !strings.Contains(line, "wrongsquares: the answer failed its check (expected 15, error -1)") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line saying the check failed", code, stderr.String())
	}
}
