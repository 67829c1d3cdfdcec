package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
)

// TestRunOnProxySim starts `overcast sim --mode proxy` (containers that are
// Apache's Go actionloop proxy) and runs pi on it through the openwhisk
// backend: the deployed zip is /init-ed and /run by the real proxy, and
// the answer matches the local backend's.
func TestRunOnProxySim(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	proxy := owproxytest.Binary(t)
	sim := exec.Command(binary, "sim", "--addr", "127.0.0.1:0", "--mode", "proxy", "--proxy", proxy, "--concurrency-limit", "4")
	out, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var simLog strings.Builder
	sim.Stderr = &simLog
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Process.Kill(); sim.Wait() })
	dir := t.TempDir()
	var props strings.Builder
	sc := bufio.NewScanner(out)
	for i := 0; i < 3 && sc.Scan(); i++ {
		props.WriteString(sc.Text() + "\n")
	}
	if !strings.Contains(props.String(), "APIHOST=http://127.0.0.1:") {
		t.Fatalf("sim printed %q; log: %s", props.String(), simLog.String())
	}
	os.WriteFile(filepath.Join(dir, "wskprops"), []byte(props.String()), 0o600)
	env := []string{"WSK_CONFIG_FILE=" + filepath.Join(dir, "wskprops"), "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	args := []string{"run", "pi", "--samples", "1e6", "--tasks", "12", "--json"}
	stdout, stderr, code := runEnv(t, env, append(args, "--backend", "openwhisk")...)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s\nsim log: %s", code, stderr, stdout, simLog.String())
	}
	localOut, _, code := runEnv(t, env, args...)
	if code != 0 {
		t.Fatalf("local run failed: %s", localOut)
	}
	var ow, local result
	json.Unmarshal([]byte(stdout), &ow)
	json.Unmarshal([]byte(localOut), &local)
	if ow.Backend != "openwhisk" || ow.Answer != local.Answer || ow.FailedTasks != 0 {
		t.Errorf("openwhisk answer %v (backend %q, %d failed), local %v", ow.Answer, ow.Backend, ow.FailedTasks, local.Answer)
	}
}
