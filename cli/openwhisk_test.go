package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/worker"
)

func TestOpenWhiskURLHasNoCredentials(t *testing.T) {
	var warned []string
	b := backendFlags{warn: func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }}
	b.openwhisk = openwhiskFlags{apihost: "ow.example.com", auth: "u:SECRET", action: "pi", collect: "poll", memory: 512, timeout: 30 * time.Second,
		kind: "go:1.24", execEnv: "openwhisk/action-golang-v1.24"}
	got, err := b.url("openwhisk")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if strings.Contains(got, "SECRET") || q.Get("apihost") != "ow.example.com" || q.Get("action") != "pi" ||
		q.Get("collect") != "poll" || q.Get("memory") != "512" || q.Get("timeout") != "30s" ||
		q.Get("kind") != "go:1.24" || q.Get("execenv") != "openwhisk/action-golang-v1.24" {
		t.Errorf("url() = %s", got)
	}
	if len(warned) != 0 {
		t.Errorf("warned %q without --insecure", warned)
	}
	b.openwhisk = openwhiskFlags{insecure: true}
	if got, err := b.url("openwhisk"); err != nil || !strings.Contains(got, "insecure=true") || len(warned) != 1 || !strings.Contains(warned[0], "--insecure") {
		t.Errorf("--insecure: url() = %s, %v; warned %q", got, err, warned)
	}
	b.openwhisk = openwhiskFlags{collect: "sometimes"}
	if _, err := b.url("openwhisk"); err == nil {
		t.Error("url() accepted --collect sometimes")
	}
}

// runEnv runs the binary with exactly env and returns stdout, stderr, code.
func runEnv(t testing.TB, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	return testbin.Exec(t, cmd)
}

// TestActionLoopBinary drives the real binary as the Go runtime's proxy
// does: no arguments, no PATH or HOME, __OW_ variables, requests on stdin
// and answers on file descriptor 3.
func TestActionLoopBinary(t *testing.T) {
	fd3r, fd3w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer fd3r.Close()
	cmd := exec.Command(binary)
	cmd.Env = []string{"__OW_WAIT_FOR_ACK=1", "__OW_ACTION_NAME=/guest/overcast", "__OW_NAMESPACE=guest"}
	cmd.ExtraFiles = []*os.File{fd3w}
	stdin, _ := cmd.StdinPipe()
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fd3w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	out := bufio.NewReader(fd3r)
	if ack, err := out.ReadString('\n'); ack != "{\"ok\":true}\n" {
		t.Fatalf("acknowledgement = %q, %v", ack, err)
	}
	deadline := time.Now().Add(time.Minute).UnixMilli()
	ask := func(value string) *worker.Response {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"value": json.RawMessage(value), "activation_id": "a1", "deadline": deadline})
		if value == "" {
			body = []byte("garbage")
		}
		stdin.Write(append(body, '\n'))
		line, err := out.ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading fd 3: %v (logs: %s)", err, logs.String())
		}
		r, err := worker.DecodeResponse(line)
		if err != nil {
			t.Fatalf("answer %s: %v", line, err)
		}
		return r
	}
	if r := ask(`{"task":"selftest/echo","input":{"n":5},"index":1,"attempt":2}`); string(r.Output) != `{"n":5,"attempt":2}` {
		t.Errorf("echo answer = %s", r.Output)
	}
	if r := ask(""); r.Error == nil || r.Error.Kind != "input" {
		t.Errorf("answer to garbage = %+v, want an input error", r)
	}
	if r := ask(`{"task":"selftest/echo","input":{"fail":"nope"}}`); r.Error == nil || r.Error.Message != "nope" {
		t.Errorf("failing task answer = %+v", r)
	}
	// A task that exits the process (allowed in a worker process) ends it.
	stdin.Write([]byte(`{"value":{"task":"selftest/echo","input":{"exit":3}}}` + "\n"))
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Errorf("exit task: process ended with %v, want exit code 3", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the exit task did not end the process")
	}
}

func TestBlackboxBinary(t *testing.T) {
	stdout, stderr, code := runEnv(t, []string{"__OW_ACTION_NAME=x"}, `{"task":"selftest/echo","input":{"n":9}}`)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	r, err := worker.DecodeResponse([]byte(lines[len(lines)-1]))
	if code != 0 || err != nil || string(r.Output) != `{"n":9,"attempt":0}` {
		t.Fatalf("blackbox run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestOpenWhiskEndToEnd deploys the binary to a sim (actionloop
// processes) through a wskprops file and checks exact answers against the
// local backend's.
func TestOpenWhiskEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeProcess, Concurrency: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	props := filepath.Join(dir, "wskprops")
	user, key, _ := strings.Cut(s.Auth(), ":")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	env := []string{"WSK_CONFIG_FILE=" + props, "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	runs := []struct {
		name string
		args []string
		env  []string
	}{
		{"pi", []string{"run", "pi", "--samples", "2e6", "--tasks", "200", "--json"}, env},
		{"primes", []string{"run", "primes", "--to", "2e6", "--tasks", "50", "--json"}, env},
		// Credentials from --auth, the file holding only the host.
		{"primes --auth", []string{"run", "primes", "--to", "1e6", "--tasks", "10", "--json", "--auth", s.Auth(), "--collect", "blocking"},
			[]string{"WHISK_APIHOST=" + s.APIHost(), "HOME=" + dir, "WSK_CONFIG_FILE=" + filepath.Join(dir, "empty")}},
	}
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600)
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			stdout, stderr, code := runEnv(t, r.env, append(r.args, "--backend", "openwhisk")...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
			}
			if strings.Contains(stdout+stderr, key) || strings.Contains(stdout+stderr, user) {
				t.Errorf("the output shows the credentials:\n%s\n%s", stdout, stderr)
			}
			localOut, _, code := runEnv(t, env, r.args...)
			if code != 0 {
				t.Fatalf("local run failed: %s", localOut)
			}
			var ow, local result
			json.Unmarshal([]byte(stdout), &ow)
			json.Unmarshal([]byte(localOut), &local)
			if ow.Backend != "openwhisk" || ow.Answer != local.Answer || ow.FailedTasks != 0 {
				t.Errorf("openwhisk answer %v (backend %q, %d failed), local %v", ow.Answer, ow.Backend, ow.FailedTasks, local.Answer)
			}
		})
	}
}

// TestAuthFlagIsNoProcessSetting runs in-process commands against a sim:
// --auth reaches the driver through its typed options, and a later
// command of the same process without it has no credentials at all.
func TestAuthFlagIsNoProcessSetting(t *testing.T) {
	s, err := sim.New(&sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"WSK_CONFIG_FILE", "WHISK_APIHOST", "WHISK_AUTH", "WHISK_NAMESPACE"} {
		t.Setenv(k, "")
	}
	args := []string{"undeploy", "--backend", "openwhisk", "--apihost", s.APIHost()}
	out, errOut, code := runInProcess(t, append(args, "--auth", s.Auth())...)
	if code != 0 || !strings.Contains(out, "action overcast does not exist") {
		t.Fatalf("undeploy with --auth: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = runInProcess(t, args...)
	if code == 0 || !strings.Contains(errOut, "no usable credentials") {
		t.Errorf("undeploy without --auth after one with it: exit %d, stdout %q, stderr %q; want no credentials", code, out, errOut)
	}
}
