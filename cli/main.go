// Package cli is the overcast command line. Main is the whole program: a
// user binary that registers its own tasks and calls cli.Main is a full
// Overcast, driver and worker at once.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// The backends and workloads every overcast binary carries.
	_ "github.com/overcast-sc/overcast/backend/drivertest/selftest"
	_ "github.com/overcast-sc/overcast/backend/local"
	_ "github.com/overcast-sc/overcast/workloads/mandelbrot"
	_ "github.com/overcast-sc/overcast/workloads/pi"
	_ "github.com/overcast-sc/overcast/workloads/primes"
	_ "github.com/overcast-sc/overcast/workloads/sortbench"
)

// workerMode is a way a platform starts the binary as a worker. detect
// reports whether the environment is that platform's; serve then runs the
// worker loop and returns the exit code.
type workerMode struct {
	name   string
	detect func(args []string) bool
	serve  func(ctx context.Context) int
}

var workerModes []workerMode

// CLI is an overcast command line: the built-in commands and workloads,
// and the jobs a program adds (WithJobs).
type CLI struct {
	jobs []*Job
	err  error
}

// Option configures a CLI.
type Option func(*CLI)

// WithJobs adds jobs to run's workloads, after the built-in ones. Each
// needs a name of its own.
func WithJobs(jobs ...*Job) Option {
	return func(c *CLI) { c.jobs = append(c.jobs, jobs...) }
}

// New returns the command line with the built-in workloads and what opts
// add. A mistake in the jobs (a missing name or Setup, a name taken twice)
// is reported when it runs, as a usage error.
func New(opts ...Option) *CLI {
	c := &CLI{jobs: builtinJobs()}
	for _, o := range opts {
		o(c)
	}
	c.err = checkJobs(c.jobs)
	return c
}

// Main runs the program: a worker when a platform started it, the CLI
// (New(opts...)) otherwise. It does not return.
func Main(opts ...Option) { New(opts...).Main() }

// Main runs the program: a worker when a platform started it, the CLI
// otherwise. It does not return.
func (c *CLI) Main() {
	for _, m := range workerModes {
		if m.detect(os.Args[1:]) {
			os.Exit(m.serve(context.Background()))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := c.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run executes the command line args of the overcast command (New()) and
// returns the exit code: 0 on success, 1 when a job failed, 2 on a usage
// error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return New().Run(ctx, args, stdout, stderr)
}

// Run executes the command line args and returns the exit code: 0 on
// success, 1 when a job failed, 2 on a usage error.
func (c *CLI) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if c.err != nil {
		fmt.Fprintf(stderr, "overcast: %s\n", oneLine(c.err.Error()))
		return exitUsage
	}
	root := c.newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.WithValue(ctx, cliKey{}, c))
	if err != nil {
		var ee *exitError
		if !asExit(err, &ee) {
			fmt.Fprintf(stderr, "overcast: %s\n", oneLine(err.Error()))
		}
	}
	return exitCode(err)
}

type cliKey struct{}

// fromContext returns the CLI running a command, for commands that run
// another command line of the same program (jobs resume).
func fromContext(ctx context.Context) *CLI {
	if c, ok := ctx.Value(cliKey{}).(*CLI); ok {
		return c
	}
	return New()
}

func asExit(err error, target **exitError) bool {
	e, ok := err.(*exitError)
	if ok {
		*target = e
	}
	return ok
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
