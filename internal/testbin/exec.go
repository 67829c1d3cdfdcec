package testbin

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
)

// Exec runs cmd, which the caller has set up (its Env, Dir, Stdin), and
// returns its stdout, its stderr and its exit code; the test fails when
// the command cannot be run at all.
func Exec(t testing.TB, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", cmd.Args, err)
	}
	return out.String(), errOut.String(), 0
}
