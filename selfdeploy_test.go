package overcast_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/sim"
)

// TestSelfDeployOnSim runs a user program (internal/testprog/selfdeploy)
// that opens its executor with Options{Deploy: true} against a sim whose
// actions are real processes of the deployed code: with no deploy before
// it, the first run installs the program's own binary as the worker and
// its tasks run there; a second run of the same binary finds the same
// code by its hash and uploads nothing.
func TestSelfDeployOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs it as actions")
	}
	prog := testbin.SelfDeploy(t)
	s, err := sim.New(&sim.Options{Mode: sim.ModeProcess, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "WHISK_APIHOST=" + s.APIHost(), "WHISK_AUTH=" + s.Auth(),
		"OVERCAST_CACHE=" + t.TempDir()}
	u := "openwhisk://?" + url.Values{"arch": {runtime.GOARCH}, "timeout": {"30s"}}.Encode()
	for run := 1; run <= 2; run++ {
		out := runProgram(t, prog, env, "square", u, "12")
		if out != "650\n" { // 1² + ... + 12²
			t.Fatalf("run %d printed %q, want 650", run, out)
		}
		if st := s.Stats(); st.ActionPuts != 1 || st.Activations != int64(12*run) {
			t.Fatalf("after run %d the sim stored %d actions and ran %d activations, want 1 and %d", run, st.ActionPuts, st.Activations, 12*run)
		}
	}
}

// runProgram runs prog with exactly env and returns its standard output;
// the test fails when it exits non-zero.
func runProgram(t *testing.T, prog string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestDeployNeedsNoDeployer checks Deploy on a backend that holds no
// worker: nothing to do, no error, with Options.Deploy or without.
func TestDeployNeedsNoDeployer(t *testing.T) {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", &overcast.Options{Deploy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	if info, err := ex.Deploy(ctx); info != nil || err != nil {
		t.Errorf("Deploy on local = %+v, %v; want nothing", info, err)
	}
}

// TestDeployRefusedInsideWorker checks that a program started by a
// platform as its worker, which deploys instead of serving, is told so in
// one line, and that the platform is not touched.
func TestDeployRefusedInsideWorker(t *testing.T) {
	s, err := sim.New(&sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	home := t.TempDir()
	d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: openwhisk.Config{APIHost: s.APIHost(), Auth: s.Auth()},
		Getenv: func(k string) string { return map[string]string{"HOME": home}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	b := backend.New("openwhisk", d)
	defer b.Close()
	t.Setenv("__OW_ACTION_NAME", "/guest/overcast")
	_, err = overcast.NewExecutorFor(b, nil).Deploy(ctx)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "__OW_ACTION_NAME is set") || !strings.Contains(err.Error(), "cli.Main()") {
		t.Errorf("Deploy inside an action: %v, want one line naming the variable and cli.Main", err)
	}
	if n := s.Stats().ActionPuts; n != 0 {
		t.Errorf("the refused deploy stored %d actions", n)
	}
}
