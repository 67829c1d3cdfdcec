package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSimBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--crash-rate", "1.5"}, {"--lost-rate", "-0.1"}, {"--5xx-rate", "2"}, {"--straggler-rate", "NaN"},
		{"--cold-start", "-1s"}, {"--api-latency", "-5ms"}, {"--mode", "docker"}, {"--concurrency-limit", "0"},
		{"--straggler-slowdown", "0.5"}, {"--per-minute", "-1"}, {"--result-limit", "0"}, {"extra"},
		{"--kinds", "nodejs:20"}, {"--kinds", ""}, {"--kinds", "go:1.22", "--default-kind", "go:1.23"},
		{"--mode", "proxy"}, {"--proxy", "/bin/true"},
	} {
		var stderr strings.Builder
		code := Run(context.Background(), append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), io.Discard, &stderr)
		if code != exitUsage {
			t.Errorf("sim %v: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
	}
}

func TestSimServesUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--concurrency-limit", "20", "--per-minute", "100",
			"--kinds", "go:1.23,go:1.22=me/action-golang-v1.22:x"}, w, io.Discard)
		w.Close()
	}()
	props := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(props) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		props[k] = v
	}
	go io.Copy(io.Discard, out)
	if !strings.HasPrefix(props["APIHOST"], "http://127.0.0.1:") || !strings.Contains(props["AUTH"], ":") || props["NAMESPACE"] != "guest" {
		t.Fatalf("printed %v", props)
	}
	req, _ := http.NewRequest("GET", props["APIHOST"]+"/api/v1/namespaces/_/limits", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(props["AUTH"])))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"concurrentInvocations":20`) || !strings.Contains(string(b), `"invocationsPerMinute":100`) {
		t.Errorf("limits: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(props["APIHOST"] + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `"runtimes":{"go":[{"kind":"go:1.23","image":"openwhisk/action-golang-v1.23:nightly","deprecated":false,"default":true,"attached":true,"requireMain":false},` +
		`{"kind":"go:1.22","image":"me/action-golang-v1.22:x","deprecated":false,"default":false,"attached":true,"requireMain":false}]}`
	if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
		t.Errorf("GET /: %d %s", resp.StatusCode, b)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop")
	}
}

// startSimIn starts `overcast sim --mode process` with TMPDIR=tmp and
// returns it once it serves, and the folder it made there.
func startSimIn(t *testing.T, tmp string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, "sim", "--addr", "127.0.0.1:0", "--mode", "process")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "APIHOST=") {
		t.Fatalf("sim printed %q first, want APIHOST=", sc.Text())
	}
	go io.Copy(io.Discard, out)
	for _, dir := range simFolders(t, tmp) {
		if b, err := os.ReadFile(filepath.Join(dir, "owner.lock")); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(cmd.Process.Pid) {
			return cmd, dir
		}
	}
	t.Fatalf("no folder of sim %d in %s", cmd.Process.Pid, tmp)
	return nil, ""
}

func simFolders(t *testing.T, tmp string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(tmp, "overcast-sim-*"))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// TestSimRemovesFoldersOfKilledSims kills one of two running sims with
// SIGKILL: the next sim to start removes the dead one's folder and keeps
// the live one's.
func TestSimRemovesFoldersOfKilledSims(t *testing.T) {
	tmp := t.TempDir()
	dead, deadDir := startSimIn(t, tmp)
	_, liveDir := startSimIn(t, tmp)
	if err := os.WriteFile(filepath.Join(deadDir, "left-behind"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead.Process.Signal(syscall.SIGKILL)
	dead.Wait()
	if _, err := os.Stat(deadDir); err != nil {
		t.Fatalf("the killed sim's folder is already gone: %v", err)
	}
	_, thirdDir := startSimIn(t, tmp)
	if _, err := os.Stat(deadDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed sim's folder %s is still there (%v)", deadDir, err)
	}
	for _, dir := range []string{liveDir, thirdDir} {
		if _, err := os.Stat(filepath.Join(dir, "owner.lock")); err != nil {
			t.Errorf("a running sim's folder was touched: %v", err)
		}
	}
	if got := simFolders(t, tmp); len(got) != 2 {
		t.Errorf("folders %v; want the two running sims'", got)
	}
}
