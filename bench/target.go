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
	Ex *overcast.Executor
	// Platform, when set, reports the platform's own counts: activations
	// running now and invocations accepted so far.
	Platform func() (running, accepted int64)
	close    func() error
}

// Close releases the session's executor, backend and platform.
func (s *Session) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// URLTarget opens the backend a URL names, with the executor's
// concurrency set to the number of tasks. Prepare, when set, runs on each
// opened backend first (to deploy the worker).
type URLTarget struct {
	URL     string
	Prepare func(ctx context.Context, b *backend.Backend) error
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
	b, err := backend.Open(ctx, t.URL)
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

// SimTarget starts a fresh in-process sim for each run and drives it
// through the OpenWhisk backend. Its namespace allows every task of a run
// at once.
type SimTarget struct {
	// APILatency and ColdStart are the sim's modelled delays.
	APILatency, ColdStart time.Duration
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
	d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: SimConfig(s), Action: SimAction,
		Collect: t.Collect, Timeout: t.timeout(), Getenv: hermeticEnv})
	if err != nil {
		s.Close()
		return nil, err
	}
	b := backend.New("openwhisk", d)
	ex := overcast.NewExecutorFor(b, &overcast.Options{Concurrency: n})
	platform := func() (int64, int64) {
		st := s.Stats()
		return st.Running, st.Invocations
	}
	return &Session{Ex: ex, Platform: platform, close: func() error {
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

// Start starts a sim whose namespace allows n activations at once (at
// least 1,000) and creates the action in it.
func (t *SimTarget) Start(n int) (*sim.Server, error) {
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: max(n, 1000),
		APILatency: t.APILatency, ColdStart: t.ColdStart, MaxActivations: max(2*n, 100000)})
	if err != nil {
		return nil, err
	}
	if err := putSimAction(s, t.timeout()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
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
// archive and calls the worker in this process.
func putSimAction(s *sim.Server, timeout time.Duration) error {
	zip, err := deploy.Zip([]deploy.File{
		{Name: "exec", Data: []byte("#!/bin/false\n"), Mode: 0o755},
		{Name: "exec.env", Data: []byte(sim.DefaultExecEnv), Mode: 0o644},
	})
	if err != nil {
		return err
	}
	cfg := SimConfig(s)
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
