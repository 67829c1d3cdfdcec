package sim

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
)

// proxyServer starts a sim whose containers are Apache's proxy, with the
// loop action of kind go:1.24 whose exec.env is execEnv.
func proxyServer(t *testing.T, o *Options, kind, execEnv string) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("builds programs")
	}
	o.Mode, o.Proxy = ModeProxy, owproxytest.Binary(t)
	s := newServer(t, o)
	body := map[string]any{
		"exec":   map[string]any{"kind": kind, "code": withExecEnv(t, loopCode(t), execEnv)},
		"limits": map[string]int{"timeout": 2000},
	}
	mustCall(t, s, http.StatusOK, "PUT", "/namespaces/_/actions/loop?overwrite=true", body)
	return s
}

// withExecEnv returns the zip code with an exec.env file added.
func withExecEnv(t *testing.T, code, execEnv string) string {
	t.Helper()
	raw, _ := base64.StdEncoding.DecodeString(code)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := io.ReadAll(rc)
	rc.Close()
	return zipCode(t, zipEntry{name: "exec", data: string(exe)}, zipEntry{name: "exec.env", data: execEnv, mode: 0o644})
}

func TestProxyWarmReuse(t *testing.T) {
	s := proxyServer(t, &Options{}, "go:1.24", "openwhisk/action-golang-v1.24")
	a, r := invokeCold(t, s, `{"echo": {"x": [1, 2]}, "log": "hello"}`)
	env := strings.Join(r.Env, " ")
	for _, k := range []string{"__OW_API_HOST", "__OW_EXECUTION_ENV", "__OW_WAIT_FOR_ACK", "__OW_ACTION_NAME", "__OW_PROXY_VERSION"} {
		if !strings.Contains(env, k) {
			t.Errorf("action environment %s lacks %s", env, k)
		}
	}
	checkWarmReuse(t, s, a, r)
}

// TestProxyFailures checks each failure as the real proxy reports it and
// the invoker classifies it.
func TestProxyFailures(t *testing.T) {
	s := proxyServer(t, &Options{ResultLimit: 1000}, "go:1.24", "openwhisk/action-golang-v1.24")
	tests := []failure{
		{"application error", `{"error":"bad input"}`, "application error", `{"error":"bad input"}`, false},
		{"result limit", `{"big":2000}`, "application error", "exceeded the allowed length", false},
		{"bad output", `{"bad":true}`, "action developer error", "The action did not return a dictionary or array.", true},
		{"exit", `{"exit":3}`, "action developer error", "command exited", true},
		{"timeout", `{"sleep_ms":5000}`, "action developer error", msgTimeout(2000), true},
	}
	checkFailures(t, s, tests)
}

// TestProxyExecEnvMismatch deploys an exec.env for go:1.24 as kind go:1.22:
// the image's proxy refuses to start it, as a real one does.
func TestProxyExecEnvMismatch(t *testing.T) {
	s := proxyServer(t, &Options{}, "go:1.22", "openwhisk/action-golang-v1.24")
	code, a, _ := invokeLoop(t, s, `{}`)
	if code != 502 || a.Response.Status != "action developer error" || !strings.Contains(string(a.Response.Result), "Cannot start action") {
		t.Fatalf("got %d %s %s", code, a.Response.Status, a.Response.Result)
	}
	if logs := strings.Join(a.Logs, "\n"); !strings.Contains(logs, "Execution environment version mismatch") {
		t.Errorf("logs do not say why:\n%s", logs)
	}
}

func TestProxyCrashFault(t *testing.T) {
	s := proxyServer(t, &Options{Faults: Faults{CrashRate: 1}}, "go:1.24", "openwhisk/action-golang-v1.24")
	checkCrashes(t, s)
}

func TestProxyCloseKillsContainers(t *testing.T) {
	s := proxyServer(t, &Options{}, "go:1.24", "openwhisk/action-golang-v1.24")
	_, _, r := invokeLoop(t, s, `{}`)
	mustCall(t, s, 202, "POST", "/namespaces/_/actions/loop", []byte(`{"sleep_ms":10000}`))
	time.Sleep(200 * time.Millisecond) // the warm container is busy now
	s.Close()
	for i := 0; syscall.Kill(r.PID, 0) == nil; i++ {
		if i == 500 {
			t.Fatalf("action process %d still alive 5 s after Close", r.PID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(s.tmp); os.IsNotExist(err) {
			break
		}
		if i == 500 {
			t.Fatalf("temporary folder %s still there", s.tmp)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProxyRefusesBlackbox: the proxy containers are Go runtime images, so
// a blackbox action is refused with a clear message when stored.
func TestProxyRefusesBlackbox(t *testing.T) {
	s := newServer(t, &Options{Mode: ModeProxy, Proxy: os.Args[0]}) // never started
	if _, err := New(&Options{Mode: ModeProxy, Proxy: "/nonexistent/proxy"}); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("New with a missing proxy: %v", err)
	}
	body := map[string]any{"exec": map[string]any{"kind": "blackbox", "code": dummyZip(t)}}
	code, b, _ := call(t, s, "PUT", "/namespaces/_/actions/bb", body)
	if code != http.StatusBadRequest || !strings.Contains(string(b), "go kinds only") {
		t.Errorf("blackbox action in proxy mode: %d %s", code, b)
	}
}
