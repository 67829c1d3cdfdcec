//go:build linux

package lambda_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/awstest"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"go.uber.org/goleak"
)

// The emulator pool: the overcast binary built as bootstrap and served by
// several aws-lambda-rie processes, one invoke in flight each.
const (
	poolSize        = 4
	functionTimeout = 2 // seconds; the emulator's timeouts are whole seconds
	rieModule       = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"
)

var pool struct {
	once      sync.Once
	dir       string
	rie       string
	bootstrap string
	endpoints []string
	procs     []*exec.Cmd
	skip, err string
}

func TestMain(m *testing.M) {
	// Never let the SDK look for credentials off this machine.
	awstest.Isolate()
	code := m.Run()
	stopPool()
	if code == 0 { // the pool's goroutines have ended: anything left leaked
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// emulators returns the endpoints of the emulator pool, starting it on
// first use. It skips the test when the emulator is not installed.
func emulators(tb testing.TB) []string {
	tb.Helper()
	pool.once.Do(startPool)
	if pool.skip != "" {
		testpeer.Skip(tb, "%s", pool.skip)
	}
	if pool.err != "" {
		tb.Fatal(pool.err)
	}
	return pool.endpoints
}

func findRIE() string {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

func startPool() {
	pool.rie = findRIE()
	if pool.rie == "" {
		pool.skip = "aws-lambda-rie not found on PATH or in $(go env GOPATH)/bin; install it with: go install " + rieModule + " (or run .ci/install-rie)"
		return
	}
	dir, err := os.MkdirTemp("", "overcast-rie-")
	if err != nil {
		pool.err = err.Error()
		return
	}
	pool.dir = dir
	pool.bootstrap, err = testbin.BootstrapPath()
	if err != nil {
		pool.err = err.Error()
		return
	}
	for i := range poolSize {
		ep, cmd, err := startEmulator(pool.bootstrap, filepath.Join(dir, fmt.Sprintf("rie-%d.log", i)))
		if cmd != nil {
			pool.procs = append(pool.procs, cmd)
		}
		if err != nil {
			pool.err = err.Error()
			return
		}
		pool.endpoints = append(pool.endpoints, ep)
	}
}

// startEmulator runs one emulator on free loopback ports and waits until
// it answers HTTP.
func startEmulator(bootstrap, logPath string) (string, *exec.Cmd, error) {
	addr, api := freeAddr(), freeAddr()
	if addr == "" || api == "" {
		return "", nil, fmt.Errorf("no free loopback port")
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return "", nil, err
	}
	defer logf.Close()
	cmd := exec.Command(pool.rie, "--log-level", "error", "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bootstrap)
	cmd.Env = append(os.Environ(), fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", functionTimeout))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	ep := "http://" + addr
	for range 200 { // up to 10 s
		resp, err := http.Get(ep + "/")
		if err == nil {
			resp.Body.Close()
			return ep, cmd, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", cmd, fmt.Errorf("aws-lambda-rie on %s did not answer within 10 s; see %s", addr, logPath)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

func stopPool() {
	for _, cmd := range pool.procs {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	if pool.dir != "" {
		os.RemoveAll(pool.dir)
	}
}

// lambdaURL is the backend URL over the given endpoints.
func lambdaURL(eps []string, extra string) string {
	return "lambda://function?endpoint=" + strings.Join(eps, ",") + extra
}
