package selftest

import (
	"context"
	"os"

	"github.com/overcast-sc/overcast/worker"
)

// exit ends the worker process with code when the task runs in a process
// of its own (worker.InOwnProcess: actionloop, Lambda, worker serve),
// where exiting is a fair test of crash handling; elsewhere (the driver's
// own process) it refuses.
func exit(ctx context.Context, code int) error {
	if !worker.OwnProcess(ctx) {
		return ErrExitRefused
	}
	os.Exit(code)
	return nil
}
