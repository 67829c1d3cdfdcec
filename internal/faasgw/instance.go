package faasgw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Starter starts one instance of a function: a container of a Knative
// revision, a replica of an OpenFaaS function.
type Starter interface {
	// Start starts an instance and returns once it answers its readiness
	// probe, or with an error.
	Start(ctx context.Context) (*Instance, error)
}

// Instance is one running function instance.
type Instance struct {
	// URL is where the instance listens, such as http://127.0.0.1:41234.
	URL  string
	stop func() error
}

// Stop stops the instance and waits for it to exit.
func (in *Instance) Stop() error { return in.stop() }

// Process starts instances as real worker processes: Bin with Args and
// "--addr 127.0.0.1:0", with OVERCAST_TOKEN set to Token. The instance
// listens where the process's "overcast worker: listening on ADDR" line
// says, and is ready once GET /healthz answers 200.
type Process struct {
	// Bin is the overcast binary (internal/testbin).
	Bin string
	// Args precede --addr; nil means "worker serve".
	Args []string
	// Token is the credential the worker checks; empty runs the worker
	// with --insecure-no-auth.
	Token string
	// Env is added to the process's environment.
	Env []string
	// ReadyTimeout bounds the wait for the process to listen and answer
	// /healthz; zero means 20 s.
	ReadyTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before it kills; zero
	// means 10 s.
	Grace time.Duration
	// Stderr receives the process's standard error; nil discards it.
	Stderr io.Writer
}

// listening is the worker's line saying where it listens.
var listening = regexp.MustCompile(`overcast worker: listening on (127\.0\.0\.1:\d+)`)

// Start starts one worker process and waits until it is ready.
func (p *Process) Start(ctx context.Context) (*Instance, error) {
	args := p.Args
	if args == nil {
		args = []string{"worker", "serve"}
	}
	args = append(slices.Clone(args), "--addr", "127.0.0.1:0")
	if p.Token == "" {
		args = append(args, "--insecure-no-auth")
	}
	cmd := exec.Command(p.Bin, args...)
	cmd.Env = append(workerEnv(), p.Env...)
	cmd.Env = append(cmd.Env, "OVERCAST_TOKEN="+p.Token)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("faasgw: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("faasgw: start worker: %w", err)
	}
	addrs := make(chan string, 1)
	go scanStderr(stderr, p.Stderr, addrs)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error { return stopProcess(cmd, exited, p.grace()) }
	url, err := p.awaitReady(ctx, addrs, exited)
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	return &Instance{URL: url, stop: stop}, nil
}

// workerEnv is this process's environment without what changes how a
// worker starts.
func workerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "PORT", "OVERCAST_TOKEN", "FUNCTIONS_CUSTOMHANDLER_PORT":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// scanStderr copies the process's standard error to out, sending the
// address of its listening line to addrs.
func scanStderr(r io.Reader, out io.Writer, addrs chan<- string) {
	if out == nil {
		out = io.Discard
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := listening.FindSubmatch(sc.Bytes()); m != nil {
			select {
			case addrs <- string(m[1]):
			default:
			}
		}
		fmt.Fprintln(out, sc.Text())
	}
}

func (p *Process) grace() time.Duration {
	if p.Grace == 0 {
		return 10 * time.Second
	}
	return p.Grace
}

// awaitReady waits for the listening line, then polls GET /healthz until
// it answers 200; it fails when the process exits, ctx is done or the
// ready timeout passes.
func (p *Process) awaitReady(ctx context.Context, addrs <-chan string, exited chan error) (string, error) {
	limit := p.ReadyTimeout
	if limit == 0 {
		limit = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	base := ""
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if base != "" && probe(ctx, base+"/healthz", p.Token) {
			return base, nil
		}
		select {
		case addr := <-addrs:
			base = "http://" + addr
		case err := <-exited:
			exited <- err
			return "", fmt.Errorf("faasgw: worker exited before it was ready: %v", err)
		case <-ctx.Done():
			return "", fmt.Errorf("faasgw: worker not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// probe reports whether GET url answers 200.
func probe(ctx context.Context, url, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

var probeClient = &http.Client{Timeout: time.Second}

// stopProcess sends SIGTERM, waits up to grace for the process to exit,
// then kills it.
func stopProcess(cmd *exec.Cmd, exited chan error, grace time.Duration) error {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("faasgw: stop worker: %w", err)
	}
	select {
	case err := <-exited:
		exited <- err
		return nil
	case <-time.After(grace):
		cmd.Process.Kill()
		err := <-exited
		exited <- err
		return fmt.Errorf("faasgw: worker did not exit within %v of SIGTERM; killed", grace)
	}
}

// Handler starts instances as in-process HTTP servers on 127.0.0.1 that
// serve H: for tests of the stand-ins themselves, without a binary.
type Handler struct {
	H http.Handler
}

// Start starts one server.
func (h Handler) Start(ctx context.Context) (*Instance, error) {
	srv := httptest.NewServer(h.H)
	return &Instance{URL: srv.URL, stop: func() error { srv.Close(); return nil }}, nil
}
