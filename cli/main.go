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

// Main runs the program: a worker when a platform started it, the CLI
// otherwise. It does not return.
func Main() {
	for _, m := range workerModes {
		if m.detect(os.Args[1:]) {
			os.Exit(m.serve(context.Background()))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run executes the command line args and returns the exit code: 0 on
// success, 1 when a job failed, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !asExit(err, &ee) {
			fmt.Fprintf(stderr, "overcast: %s\n", oneLine(err.Error()))
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
