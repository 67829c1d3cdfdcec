package sim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/testpeer"
)

// jsChecks is how many checks testdata/jsclient/check.js passes.
const jsChecks = 16

// TestOfficialJSClient drives the sim with Apache OpenWhisk's own
// JavaScript client, the real peer of its REST API. It needs node and the
// client installed (.ci/run does: npm install --prefix sim/testdata/jsclient).
func TestOfficialJSClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the overcast binary")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testpeer.Skip(t, "node is not installed")
	}
	dir, _ := filepath.Abs("testdata/jsclient")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openwhisk")); err != nil {
		testpeer.Skip(t, "the OpenWhisk JavaScript client is not installed: npm install --prefix sim/testdata/jsclient --no-audit --no-fund")
	}
	code := overcastCode(t)
	zip := filepath.Join(t.TempDir(), "code.b64")
	if err := os.WriteFile(zip, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, &Options{Mode: ModeProcess})
	cmd := exec.Command(node, filepath.Join(dir, "check.js"))
	cmd.Env = append(os.Environ(), "APIHOST="+s.APIHost(), "AUTH="+s.Auth(), "ZIP="+zip)
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the JS client check did not finish:\n%s", out)
	}
	if err != nil || strings.Count(string(out), "ok ") != jsChecks {
		t.Fatalf("the JS client check failed (%v):\n%s", err, out)
	}
}
