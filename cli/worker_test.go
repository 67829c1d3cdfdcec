package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

// serveProc is a running overcast worker serve process.
type serveProc struct {
	cmd  *exec.Cmd
	addr string // host:port it listens on

	mu     sync.Mutex
	lines  []string      // its standard error so far
	more   chan struct{} // signalled on every new line
	exited chan struct{} // closed when it exited
	code   int
}

// startServe starts the overcast binary with args and env (added to a
// copy of this process's environment without PORT and OVERCAST_TOKEN) and
// waits for its "listening on" line.
func startServe(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, more: make(chan struct{}, 1), exited: make(chan struct{})}
	go p.read(stderr)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	line := p.waitLine(t, "overcast worker: listening on ")
	p.addr = strings.TrimPrefix(line, "overcast worker: listening on ")
	return p
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, "OVERCAST_TOKEN=") && !strings.HasPrefix(kv, "FUNCTIONS_CUSTOMHANDLER_PORT=") {
			env = append(env, kv)
		}
	}
	return env
}

// read collects standard error until it ends, then waits for the exit.
func (p *serveProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
		p.signal()
	}
	p.cmd.Wait()
	p.code = p.cmd.ProcessState.ExitCode()
	close(p.exited)
	p.signal()
}

func (p *serveProc) signal() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// waitLine waits for a line of standard error that starts with prefix and
// returns it; it fails the test when the process exits first or after a
// minute.
func (p *serveProc) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		if line, ok := p.find(prefix); ok {
			return line
		}
		select {
		case <-p.more:
		case <-timeout:
			t.Fatalf("no line %q within a minute; stderr:\n%s", prefix, p.stderr())
		}
		select {
		case <-p.exited:
			if line, ok := p.find(prefix); ok {
				return line
			}
			t.Fatalf("worker exited %d before printing %q; stderr:\n%s", p.code, prefix, p.stderr())
		default:
		}
	}
}

func (p *serveProc) find(prefix string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.HasPrefix(l, prefix) {
			return l, true
		}
	}
	return "", false
}

func (p *serveProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// wait waits up to a minute for the process to exit and returns its code.
func (p *serveProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(time.Minute):
		t.Fatalf("worker still running a minute on; stderr:\n%s", p.stderr())
		return -1
	}
}

// post sends an envelope for selftest/echo with in to /invoke with the
// given headers (name, value, ...) and returns the status and body.
func (p *serveProc) post(t *testing.T, in selftest.Input, header ...string) (int, []byte) {
	t.Helper()
	code, body, err := p.send(in, header...)
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, p.stderr())
	}
	return code, body
}

// send is post for goroutines other than the test's.
func (p *serveProc) send(in selftest.Input, header ...string) (int, []byte, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return 0, nil, err
	}
	env, err := worker.EncodeRequest(&worker.Request{Task: selftest.Echo, Index: 1, Attempt: 1, Input: raw})
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest("POST", "http://"+p.addr+"/invoke", bytes.NewReader(env))
	if err != nil {
		return 0, nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST /invoke: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// echoed decodes an answer of selftest/echo and returns its N.
func echoed(t *testing.T, body []byte) int {
	t.Helper()
	resp, err := worker.DecodeResponse(body)
	if err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	if resp.Error != nil {
		t.Fatalf("task failed: %v", resp.Error)
	}
	var out selftest.Output
	if err := json.Unmarshal(resp.Output, &out); err != nil {
		t.Fatal(err)
	}
	return out.N
}

var bearerT = []string{"Authorization", "Bearer s3cret"}

// TestWorkerServeAuth runs tasks with the token and proves that requests
// without it, or with a wrong one, are refused before anything runs: the
// task's log line, its side effect, never shows.
func TestWorkerServeAuth(t *testing.T) {
	t.Parallel()
	p := startServe(t, []string{"OVERCAST_TOKEN=s3cret"}, "worker", "serve", "--addr", "127.0.0.1:0")
	refused := [][]string{
		nil,
		{"Authorization", "Bearer wrong"},
		{"Authorization", "Bearer s3cre"},
		{"Authorization", "Bearer s3cret2"},
		{"Authorization", "Basic s3cret"},
		{"Authorization", "s3cret"},
		{"X-Overcast-Token", "s3cre"},
	}
	for i, h := range refused {
		code, body := p.post(t, selftest.Input{N: i, Log: fmt.Sprintf("ran-unauthorized-%d", i)}, h...)
		if code != http.StatusUnauthorized {
			t.Errorf("headers %q: status %d (%s), want 401", h, code, body)
		}
	}
	for i, h := range [][]string{bearerT, {"Authorization", "bearer s3cret"}, {"X-Overcast-Token", "s3cret"}} {
		code, body := p.post(t, selftest.Input{N: 40 + i, Log: fmt.Sprintf("ran-authorized-%d", i)}, h...)
		if code != http.StatusOK || echoed(t, body) != 40+i {
			t.Fatalf("headers %q: status %d, answer %s; want 200 with n=%d", h, code, body, 40+i)
		}
		p.waitLine(t, fmt.Sprintf("ran-authorized-%d", i))
	}
	if _, ok := p.find("ran-unauthorized-"); ok {
		t.Fatalf("a refused request ran its task; stderr:\n%s", p.stderr())
	}
	resp, err := http.Get("http://" + p.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %d, want 200", resp.StatusCode)
	}
}

// TestWorkerServeNeedsToken checks that the worker refuses to start
// without a token unless told to serve without one.
func TestWorkerServeNeedsToken(t *testing.T) {
	_, stderr, code := execBin(t, []string{"OVERCAST_TOKEN="}, "worker", "serve", "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(stderr, "no token") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want 2 and one line about the token", code, stderr)
	}
	empty := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = execBin(t, nil, "worker", "serve", "--addr", "127.0.0.1:0", "--token-file", empty)
	if code != 2 || !strings.Contains(stderr, "is empty") {
		t.Fatalf("empty token file: exit %d, stderr %q; want 2", code, stderr)
	}
}

// TestWorkerServeLimits checks the body bound (413) and the concurrency
// limit (429 with Retry-After); neither refused task runs.
func TestWorkerServeLimits(t *testing.T) {
	t.Parallel()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, nil, "worker", "serve", "--addr", "127.0.0.1:0", "--token-file", token,
		"--concurrency", "1", "--max-body", "1000")
	code, body := p.post(t, selftest.Input{N: 4, Pad: strings.Repeat("x", 1000), Log: "ran-too-big"}, bearerT...)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over --max-body: status %d (%s), want 413", code, body)
	}
	if code, body := p.post(t, selftest.Input{N: 3, Pad: strings.Repeat("x", 900)}, bearerT...); code != http.StatusOK || echoed(t, body) != 3 {
		t.Fatalf("body under --max-body: %d %s", code, body)
	}
	// The slow task holds the only slot until the process is killed.
	go p.send(selftest.Input{N: 1, SleepMS: 600_000, Log: "slow-task-running"}, bearerT...)
	p.waitLine(t, "slow-task-running")
	req, err := http.NewRequest("POST", "http://"+p.addr+"/invoke", strings.NewReader(`{"task":"selftest/echo","index":2,"input":{"n":2,"log":"ran-over-limit"}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(bearerT[0], bearerT[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second task over --concurrency 1: status %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, line := range []string{"ran-over-limit", "ran-too-big"} {
		if _, ok := p.find(line); ok {
			t.Fatalf("a refused task ran (%s)", line)
		}
	}
}

// TestWorkerServeDrainsOnSIGTERM sends SIGTERM while two tasks run: both
// answer, a new task is refused with 503, and the process exits 0.
func TestWorkerServeDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	p := startServe(t, []string{"OVERCAST_TOKEN=s3cret"}, "worker", "serve", "--addr", "127.0.0.1:0", "--concurrency", "4", "--grace", "1m")
	type answer struct {
		code int
		body []byte
		err  error
	}
	answers := make(chan answer, 2)
	for i := range 2 {
		go func() {
			code, body, err := p.send(selftest.Input{N: 10 + i, SleepMS: 4000, Log: fmt.Sprintf("in-flight-%d", i)}, bearerT...)
			answers <- answer{code, body, err}
		}()
	}
	p.waitLine(t, "in-flight-0")
	p.waitLine(t, "in-flight-1")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, "overcast worker: draining: 2 tasks in flight")
	code, body := p.post(t, selftest.Input{N: 99, Log: "ran-while-draining"}, bearerT...)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("task sent while draining: status %d (%s), want 503", code, body)
	}
	sum := 0
	for range 2 {
		a := <-answers
		if a.err != nil || a.code != http.StatusOK {
			t.Fatalf("in-flight task: status %d (%s), %v", a.code, a.body, a.err)
		}
		sum += echoed(t, a.body)
	}
	if sum != 10+11 {
		t.Fatalf("in-flight tasks answered n summing to %d, want 21", sum)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d after draining, want 0; stderr:\n%s", code, p.stderr())
	}
	if _, ok := p.find("ran-while-draining"); ok {
		t.Fatal("the task refused while draining ran")
	}
}

// TestWorkerServeUnderPlatformPort starts the binary with no arguments and
// PORT set, as Knative and Cloud Run do: it serves on that port.
func TestWorkerServeUnderPlatformPort(t *testing.T) {
	for _, v := range []string{"PORT", "FUNCTIONS_CUSTOMHANDLER_PORT"} {
		t.Run(v, func(t *testing.T) {
			addr := freeLoopback(t)
			_, port, _ := strings.Cut(addr, ":")
			p := startServe(t, []string{v + "=" + port, "OVERCAST_TOKEN=s3cret"})
			if !strings.HasSuffix(p.addr, ":"+port) {
				t.Fatalf("listening on %s, want port %s", p.addr, port)
			}
			p.addr = addr // talk to it over loopback
			if code, body := p.post(t, selftest.Input{N: 5}, bearerT...); code != http.StatusOK || echoed(t, body) != 5 {
				t.Fatalf("status %d, answer %s", code, body)
			}
			if code, _ := p.post(t, selftest.Input{N: 6}); code != http.StatusUnauthorized {
				t.Fatalf("no token: status %d, want 401", code)
			}
			_, stderr, code := execBin(t, []string{v + "=" + port, "OVERCAST_TOKEN="})
			if code != 2 || !strings.Contains(stderr, "no token") {
				t.Fatalf("no arguments, %s set, no token: exit %d, stderr %q; want 2 and the reason", v, code, stderr)
			}
		})
	}
}

// TestWorkerServeGraceRunsOut sends SIGTERM while a task runs longer than
// the grace period: the task is cancelled and still answers, and the
// process exits 1 saying so.
func TestWorkerServeGraceRunsOut(t *testing.T) {
	t.Parallel()
	p := startServe(t, []string{"OVERCAST_TOKEN=s3cret"}, "worker", "serve", "--addr", "127.0.0.1:0", "--grace", "100ms")
	type answer struct {
		code int
		body []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		code, body, err := p.send(selftest.Input{N: 1, SleepMS: 600_000, Log: "long-task-running"}, bearerT...)
		answered <- answer{code, body, err}
	}()
	p.waitLine(t, "long-task-running")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a := <-answered
	resp, err := worker.DecodeResponse(a.body)
	if a.err != nil || a.code != http.StatusOK || err != nil || resp.Error == nil {
		t.Fatalf("task cut short: status %d, %s, %v %v; want 200 and the task's error", a.code, a.body, a.err, err)
	}
	if code := p.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, p.stderr())
	}
	p.waitLine(t, "overcast: worker serve: grace period of 100ms over: 1 tasks cut short")
}
