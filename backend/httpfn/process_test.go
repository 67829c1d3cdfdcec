//go:build linux

package httpfn_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
)

// workerProc is a running `overcast worker serve` process of the built
// binary.
type workerProc struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	exited chan struct{}

	mu    sync.Mutex
	lines []string // its standard error
}

// startWorkers starts n worker processes on loopback ports chosen by the
// system, wanting token (none when empty), with extra flags. Without the
// binary the test skips, or fails under REQUIRE_PEERS=1.
func startWorkers(t testing.TB, n int, token string, flags ...string) []*workerProc {
	t.Helper()
	bin := faasgwtest.WorkerBin(t)
	ps := make([]*workerProc, n)
	for i := range ps {
		ps[i] = startWorker(t, bin, token, flags)
	}
	return ps
}

func startWorker(t testing.TB, bin, token string, flags []string) *workerProc {
	t.Helper()
	args := append([]string{"worker", "serve", "--addr", "127.0.0.1:0"}, flags...)
	if token == "" {
		args = append(args, "--insecure-no-auth")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(workerEnv(), "OVERCAST_TOKEN="+token)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &workerProc{cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	go p.read(stderr, listening)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	select {
	case addr := <-listening:
		p.url = "http://" + addr
	case <-p.exited:
		t.Fatalf("worker exited before listening: %s", p.stderr())
	case <-time.After(time.Minute):
		t.Fatalf("worker not listening within a minute: %s", p.stderr())
	}
	return p
}

// workerEnv is this process's environment without what would change how
// a worker starts.
func workerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PORT", "OVERCAST_TOKEN", "FUNCTIONS_CUSTOMHANDLER_PORT":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// read collects standard error, sends the listening address, and waits
// for the process to exit.
func (p *workerProc) read(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.mu.Unlock()
		if addr, ok := strings.CutPrefix(line, "overcast worker: listening on "); ok {
			listening <- addr
		}
	}
	p.cmd.Wait()
	close(p.exited)
}

func (p *workerProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// urls returns the workers' base URLs.
func urls(ps []*workerProc) []string {
	var us []string
	for _, p := range ps {
		us = append(us, p.url)
	}
	return us
}
