package cli

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/sim"
)

// controllerStandIn answers as an OpenWhisk controller whose deployment
// has Apache's Go images of today (go:1.22 to go:1.24, no default) and
// keeps the last action uploaded.
type controllerStandIn struct {
	srv *httptest.Server
	mu  sync.Mutex
	put []byte
}

func newControllerStandIn(t *testing.T) *controllerStandIn {
	c := &controllerStandIn{}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *controllerStandIn) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/":
		io.WriteString(w, `{"description":"OpenWhisk","api_paths":["/api/v1"],"limits":{"concurrent_actions":100},"runtimes":{`+
			`"go":[{"kind":"go:1.22","image":"openwhisk/action-golang-v1.22:nightly","default":false,"deprecated":false,"attached":true,"requireMain":false},`+
			`{"kind":"go:1.23","image":"openwhisk/action-golang-v1.23:nightly","default":false,"deprecated":false,"attached":true,"requireMain":false},`+
			`{"kind":"go:1.24","image":"openwhisk/action-golang-v1.24:nightly","default":false,"deprecated":false,"attached":true,"requireMain":false}],`+
			`"blackbox":[{"kind":"blackbox","image":"openwhisk/dockerskeleton:nightly","default":true,"deprecated":false,"attached":false,"requireMain":false}]}}`)
	case r.URL.Path == "/api/v1/namespaces/_/limits":
		io.WriteString(w, `{"concurrentInvocations":100,"invocationsPerMinute":600}`)
	case r.URL.Path == "/api/v1/namespaces/_/actions/overcast" && r.Method == "GET":
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"The requested resource does not exist.","code":"x"}`)
	case r.URL.Path == "/api/v1/namespaces/_/actions/overcast" && r.Method == "PUT":
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.put = b
		c.mu.Unlock()
		w.Write(b)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such route","code":"x"}`)
	}
}

// uploaded returns the kind, exec.env and exec of the last upload.
func (c *controllerStandIn) uploaded(t *testing.T) (kind, execEnv string, exe []byte) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var a struct {
		Exec struct {
			Kind string `json:"kind"`
			Code string `json:"code"`
		} `json:"exec"`
	}
	if err := json.Unmarshal(c.put, &a); err != nil {
		t.Fatalf("uploaded action: %v", err)
	}
	raw, _ := base64.StdEncoding.DecodeString(a.Exec.Code)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("uploaded code: %v", err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch f.Name {
		case "exec.env":
			execEnv = string(b)
		case "exec":
			exe = b
		}
	}
	return a.Exec.Kind, execEnv, exe
}

// TestDeployKindContract checks what other tools rely on: deploy --kind
// go:1.24 uploads kind go:1.24 with exec.env exactly
// openwhisk/action-golang-v1.24, and --execenv overrides it. The exec is
// the running binary without its symbols and debug information.
func TestDeployKindContract(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads the binary")
	}
	self, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	lean, ok, err := deploy.Strip(self)
	if !ok || err != nil {
		t.Fatalf("the test binary has no symbols to strip (%v)", err)
	}
	c := newControllerStandIn(t)
	props := filepath.Join(t.TempDir(), "wskprops")
	os.WriteFile(props, []byte("APIHOST="+c.srv.URL+"\nAUTH=23bc46b1-71f6-4ed5-8c54-816aa4f8c502:key\n"), 0o600)
	env := []string{"HOME=" + t.TempDir(), "WSK_CONFIG_FILE=" + props, "PATH=" + os.Getenv("PATH")}
	for _, tt := range []struct {
		args             []string
		wantKind, wantEV string
	}{
		{[]string{"--kind", "go:1.24"}, "go:1.24", "openwhisk/action-golang-v1.24"},
		{[]string{"--kind", "go:1.24", "--execenv", "me/go-runtime"}, "go:1.24", "me/go-runtime"},
		{nil, "go:1.24", "openwhisk/action-golang-v1.24"}, // no default: the newest
	} {
		stdout, stderr, code := runEnv(t, env, append([]string{"deploy", "--backend", "openwhisk"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("deploy %v: exit %d: %s", tt.args, code, stderr)
		}
		k, ev, exe := c.uploaded(t)
		if k != tt.wantKind || ev != tt.wantEV {
			t.Errorf("deploy %v uploaded kind %q exec.env %q, want %q %q", tt.args, k, ev, tt.wantKind, tt.wantEV)
		}
		if !bytes.Equal(exe, lean) {
			t.Errorf("deploy %v uploaded an exec of %d bytes, want the running binary stripped (%d bytes)", tt.args, len(exe), len(lean))
		}
		if !strings.Contains(stdout, "uploaded") || !strings.Contains(stderr, "kind "+tt.wantKind) {
			t.Errorf("deploy %v: stdout %q stderr %q", tt.args, stdout, stderr)
		}
	}
	_, stderr, code := runEnv(t, env, "deploy", "--backend", "openwhisk", "--kind", "go:1.20")
	if code == 0 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "go:1.22, go:1.23, go:1.24") {
		t.Errorf("deploy of a kind the deployment lacks: exit %d, stderr %q; want one line naming its go kinds", code, stderr)
	}
}

// simProps starts a sim running actions as processes and writes its
// wskprops file.
func simProps(t *testing.T) string {
	t.Helper()
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeProcess, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	props := filepath.Join(t.TempDir(), "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	return props
}

// runIn runs bin in dir with exactly env.
func runIn(t *testing.T, bin, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	return testbin.Exec(t, cmd)
}

// TestDeployFromAnywhere runs a CGO_ENABLED=0 build from a folder outside
// the source tree, with no Go toolchain on PATH: it uploads itself to the
// sim and the job runs there.
func TestDeployFromAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	home := t.TempDir()
	env := []string{"WSK_CONFIG_FILE=" + simProps(t), "HOME=" + home, "OVERCAST_CACHE=" + filepath.Join(home, "cache"), "PATH=" + t.TempDir()}
	stdout, stderr, code := runIn(t, binary, home, env, "run", "primes", "--to", "1e5", "--tasks", "8", "--json", "--backend", "openwhisk", "--kind", "go:1.24")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	var r result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Answer != 9592 || r.FailedTasks != 0 {
		t.Errorf("primes to 1e5 on the sim: %s (%v), want 9592", stdout, err)
	}
	if strings.Contains(stderr, "built the worker") {
		t.Errorf("a static binary built a worker: %s", stderr)
	}
}

// TestDeployDynamicOutsideTree runs a cgo build outside the source tree:
// it cannot upload itself nor build a worker, and says so in one line
// that tells how to install it.
func TestDeployDynamicOutsideTree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a second binary")
	}
	dyn := filepath.Join(t.TempDir(), "overcast-cgo")
	build := exec.Command("go", "build", "-o", dyn, "github.com/overcast-sc/overcast/cmd/overcast")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		testpeer.Skip(t, "no cgo build here (a C compiler is needed): %v: %s", err, out)
	}
	home := t.TempDir()
	env := []string{"WSK_CONFIG_FILE=" + simProps(t), "HOME=" + home, "OVERCAST_CACHE=" + filepath.Join(home, "cache"), "PATH=" + os.Getenv("PATH")}
	stdout, stderr, code := runIn(t, dyn, home, env, "deploy", "--backend", "openwhisk")
	line := strings.TrimSpace(stderr)
	if code == 0 || strings.Contains(line, "\n") || !strings.Contains(line, "linked dynamically") ||
		!strings.Contains(line, "CGO_ENABLED=0 go install") {
		t.Errorf("deploy of a cgo binary outside the tree: exit %d, stdout %q, stderr %q; want one line saying how to install", code, stdout, stderr)
	}
}
