// Package cli is the overcast command line. Main is the whole program: a
// user binary that registers its own tasks and calls cli.Main is a full
// Overcast, driver and worker at once.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/overcast-sc/overcast/worker"

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

// workerModes are the ways platforms start the binary, in the order they
// are tried: Lambda and OpenWhisk set variables of their own, and the
// http mode, last, steps aside for them as well. name is the program's,
// for its error lines.
func (c *CLI) workerModes(name string) []workerMode {
	modes := []workerMode{lambdaMode()}
	modes = append(modes, openwhiskModes(name)...)
	return append(modes, workerMode{
		name:   "http",
		detect: func(args []string) bool { return worker.HTTPDetect(args, os.Environ()) },
		serve:  c.serveHTTPPlatform,
	})
}

// CLI is an overcast command line: the built-in commands and workloads,
// and the jobs a program adds (WithJobs).
type CLI struct {
	jobs []*Job
	// name is the program's name (WithName), "" for the default.
	name string
	err  error
}

// Option configures a CLI.
type Option func(*CLI)

// WithJobs adds jobs to run's workloads, after the built-in ones. Each
// needs a name of its own.
func WithJobs(jobs ...*Job) Option {
	return func(c *CLI) { c.jobs = append(c.jobs, jobs...) }
}

// WithName names the program in its usage lines, help, hints and
// messages ("NAME: error"). Without it Main uses the base name of the
// file the program was started from, and Run "overcast".
func WithName(name string) Option {
	return func(c *CLI) { c.name = name }
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
	if c.name == "" {
		c.name = programName(os.Args[0])
	}
	for _, m := range c.workerModes(c.name) {
		if m.detect(os.Args[1:]) {
			os.Exit(m.serve(context.Background()))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := c.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// programName is the name of the program started as arg0: its file's
// base name, without a Windows extension.
func programName(arg0 string) string {
	name := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if name == "" || name == "." || name == string(filepath.Separator) {
		return "overcast"
	}
	return name
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
	return c.run(ctx, c.newApp(stdout, stderr), args)
}

// newApp returns a fresh invocation of the command line printing on
// stdout and stderr.
func (c *CLI) newApp(stdout, stderr io.Writer) *app {
	name := c.name
	if name == "" {
		name = "overcast"
	}
	return &app{cli: c, name: name, stdout: stdout, stderr: stderr}
}

// run executes args as the invocation a: every command and flag value is
// made afresh for it.
func (c *CLI) run(ctx context.Context, a *app, args []string) int {
	if c.err != nil {
		a.printf("%s", oneLine(c.err.Error()))
		return exitUsage
	}
	root := a.newRoot()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !asExit(err, &ee) {
			a.printf("%s", a.ourName(oneLine(err.Error())))
		}
	}
	return exitCode(err)
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
