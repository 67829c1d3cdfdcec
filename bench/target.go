package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/sim"
)

// Target opens an executor for one measured run of n tasks.
type Target interface {
	// Open returns a Session whose executor runs n tasks at once.
	Open(ctx context.Context, n int) (*Session, error)
	// Name describes the target, e.g. "sim" or "local".
	Name() string
}

// Session is one measured run's executor and what it needs closed.
type Session struct {
	Ex    *overcast.Executor
	close func() error
}

// Close releases the session's executor, backend and platform.
func (s *Session) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// URLTarget opens the backend a URL names, with the executor's
// concurrency set to the number of tasks. OpenBackend, when set, opens it
// instead of backend.Open (with typed settings the URL does not carry,
// such as credentials). Prepare, when set, runs on each opened backend
// first (to deploy the worker).
type URLTarget struct {
	URL         string
	OpenBackend func(ctx context.Context, url string) (*backend.Backend, error)
	Prepare     func(ctx context.Context, b *backend.Backend) error
}

// Name returns the URL's scheme.
func (t *URLTarget) Name() string {
	if u, _, ok := strings.Cut(t.URL, "://"); ok {
		return u
	}
	return t.URL
}

// Open opens the backend.
func (t *URLTarget) Open(ctx context.Context, n int) (*Session, error) {
	open := t.OpenBackend
	if open == nil {
		open = backend.Open
	}
	b, err := open(ctx, t.URL)
	if err != nil {
		return nil, err
	}
	if t.Prepare != nil {
		if err := t.Prepare(ctx, b); err != nil {
			b.Close()
			return nil, err
		}
	}
	ex := overcast.NewExecutorFor(b, &overcast.Options{Concurrency: n})
	return &Session{Ex: ex, close: b.Close}, nil
}

// SimTarget starts a fresh sim for each run, in this process or as its
// own, and drives it through the OpenWhisk backend. Its namespace allows
// every task of a run at once.
type SimTarget struct {
	// APILatency and ColdStart are the sim's modelled delays.
	APILatency, ColdStart time.Duration
	// RequestRate is the API calls a second the sim's controller answers;
	// zero means unlimited.
	RequestRate float64
	// Process is SimInProcess (the default) or SimSeparate.
	Process string
	// Binary is the overcast executable a separate sim runs as
	// "Binary sim"; empty means this process's executable.
	Binary string
	// Collect is the OpenWhisk backend's collection mode; empty means its
	// default.
	Collect string
	// ActionTimeout is the action's time limit; zero means 5 minutes.
	ActionTimeout time.Duration
}

// Name returns "sim".
func (t *SimTarget) Name() string { return "sim" }

// SimAction is the action name the sim target deploys.
const SimAction = "overcast"

// Open starts a sim, creates the action and opens the backend on it.
func (t *SimTarget) Open(ctx context.Context, n int) (*Session, error) {
	s, err := t.Start(n)
	if err != nil {
		return nil, err
	}
	d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: s.Config, Action: SimAction,
		Collect: t.Collect, Timeout: t.timeout(), Getenv: hermeticEnv})
	if err != nil {
		s.Close()
		return nil, err
	}
	b := backend.New("openwhisk", d)
	ex := overcast.NewExecutorFor(b, &overcast.Options{Concurrency: n})
	return &Session{Ex: ex, close: func() error {
		b.Close()
		return s.Close()
	}}, nil
}

func (t *SimTarget) timeout() time.Duration {
	if t.ActionTimeout > 0 {
		return t.ActionTimeout
	}
	return 5 * time.Minute
}

// RunningSim is a started sim: in this process or its own.
type RunningSim struct {
	// Config reaches the sim as its own user.
	Config openwhisk.Config
	close  func() error
}

// Close stops the sim.
func (s *RunningSim) Close() error { return s.close() }

// Start starts a sim whose namespace allows n activations at once (at
// least 1,000) and creates the action in it.
func (t *SimTarget) Start(n int) (*RunningSim, error) {
	o := sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: simLimit(n),
		APILatency: t.APILatency, ColdStart: t.ColdStart, RequestRate: t.RequestRate, MaxActivations: max(2*n, 100000)}
	var s *RunningSim
	var err error
	switch t.process() {
	case SimInProcess:
		s, err = startInProcess(&o)
	case SimSeparate:
		s, err = startSeparate(t.Binary, &o)
	default:
		return nil, fmt.Errorf("the sim runs %q or %q, not %q", SimInProcess, SimSeparate, t.Process)
	}
	if err != nil {
		return nil, err
	}
	if err := putSimAction(s.Config, t.timeout()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// startInProcess starts a sim in this process.
func startInProcess(o *sim.Options) (*RunningSim, error) {
	s, err := sim.New(o)
	if err != nil {
		return nil, err
	}
	return &RunningSim{Config: SimConfig(s), close: s.Close}, nil
}

// hermeticEnv hides the user's wsk configuration from a sim run.
func hermeticEnv(k string) string {
	if k == "WSK_CONFIG_FILE" {
		return "/dev/null"
	}
	return ""
}

// SimConfig returns the configuration that reaches a sim as its own user.
func SimConfig(s *sim.Server) openwhisk.Config {
	return openwhisk.Config{APIHost: s.APIHost(), Auth: s.Auth()}
}

// putSimAction creates the action: in inproc mode the sim only checks the
// archive and calls the worker in its own process.
func putSimAction(cfg openwhisk.Config, timeout time.Duration) error {
	zip, err := deploy.Zip([]deploy.File{
		{Name: "exec", Data: []byte("#!/bin/false\n"), Mode: 0o755},
		{Name: "exec.env", Data: []byte(sim.DefaultExecEnv), Mode: 0o644},
	})
	if err != nil {
		return err
	}
	c, err := openwhisk.NewClient(&cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = c.PutAction(ctx, SimAction, &openwhisk.Action{
		Exec:   openwhisk.Exec{Kind: sim.DefaultKind, Code: base64.StdEncoding.EncodeToString(zip), Binary: true},
		Limits: &openwhisk.ActionLimits{Timeout: int(timeout.Milliseconds()), Memory: 256, Concurrency: 1},
	})
	if err != nil {
		return fmt.Errorf("create the sim's action: %w", err)
	}
	return nil
}
