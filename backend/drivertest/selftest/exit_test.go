package selftest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

// exitTask runs selftest's echo asking it to exit with code 3.
func exitTask(ctx context.Context) *worker.Response {
	return worker.Run(ctx, &worker.Request{Task: selftest.Echo, Input: json.RawMessage(`{"exit":3}`)})
}

// TestExitOnlyInItsOwnProcess asks a task to exit: in a process that
// serves tasks as a driver's own (no worker.InOwnProcess) it refuses; in
// a child process whose context says it serves only tasks, the process
// exits with the code asked for.
func TestExitOnlyInItsOwnProcess(t *testing.T) {
	if os.Getenv("SELFTEST_EXIT_CHILD") == "1" {
		exitTask(worker.InOwnProcess(context.Background()))
		os.Exit(0) // not reached when the task exits
	}
	resp := exitTask(context.Background())
	if resp.Error == nil || resp.Error.Message != selftest.ErrExitRefused.Error() {
		t.Fatalf("exit in the driver's process: %+v, want %v", resp.Error, selftest.ErrExitRefused)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExitOnlyInItsOwnProcess$")
	cmd.Env = append(os.Environ(), "SELFTEST_EXIT_CHILD=1")
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("exit in a worker's own process: %v, want exit status 3", err)
	}
}
