package faasgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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
// "--addr 127.0.0.1:PORT" on a free loopback port, with OVERCAST_TOKEN set
// to Token. It is ready once GET /healthz answers 200.
type Process struct {
	// Bin is the overcast binary (internal/testbin).
	Bin string
	// Args precede --addr; nil means "worker serve".
	Args []string
	// Token is the credential the worker checks; empty sets none.
	Token string
	// Env is added to the process's environment.
	Env []string
	// ReadyTimeout bounds the wait for /healthz; zero means 20 s.
	ReadyTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before it kills; zero
	// means 10 s.
	Grace time.Duration
	// Stderr receives the process's standard error; nil discards it.
	Stderr *os.File
}

// Start starts one worker process and waits until it is ready.
func (p *Process) Start(ctx context.Context) (*Instance, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	args := p.Args
	if args == nil {
		args = []string{"worker", "serve"}
	}
	cmd := exec.Command(p.Bin, append(args, "--addr", addr)...)
	cmd.Env = append(os.Environ(), p.Env...)
	if p.Token != "" {
		cmd.Env = append(cmd.Env, "OVERCAST_TOKEN="+p.Token)
	}
	cmd.Stderr = p.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("faasgw: start worker: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	in := &Instance{URL: "http://" + addr, stop: func() error { return stopProcess(cmd, exited, p.grace()) }}
	if err := p.awaitReady(ctx, in.URL, exited); err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	return in, nil
}

func (p *Process) grace() time.Duration {
	if p.Grace == 0 {
		return 10 * time.Second
	}
	return p.Grace
}

// awaitReady polls GET /healthz until it answers 200, the process exits,
// ctx is done or the ready timeout passes.
func (p *Process) awaitReady(ctx context.Context, base string, exited chan error) error {
	limit := p.ReadyTimeout
	if limit == 0 {
		limit = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if probe(ctx, base+"/healthz", p.Token) {
			return nil
		}
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("faasgw: worker exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("faasgw: worker not ready at %s: %w", base, ctx.Err())
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

// freePort returns a loopback address with a port nothing listens on.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("faasgw: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
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
