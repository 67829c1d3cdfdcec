package openwhisk

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/sim"
)

// startSim starts a sim on a random 127.0.0.1 port and returns the
// options that reach it without any wsk configuration of this machine.
func startSim(t *testing.T, so *sim.Options, o Options) (*sim.Server, Options) {
	t.Helper()
	so.Addr = "127.0.0.1:0"
	s, err := sim.New(so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	o.Config = Config{APIHost: s.APIHost(), Auth: s.Auth()}
	home := t.TempDir()
	o.Getenv = func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	return s, o
}

// fakeArchive is enough for the sim's inproc mode, which only checks the
// archive and runs tasks in this process.
func fakeArchive(ctx context.Context, k *kind) ([]byte, string, error) {
	zip, err := deploy.Zip([]deploy.File{{Name: "exec", Data: []byte("#!/bin/false\n"), Mode: 0o755},
		{Name: "exec.env", Data: []byte(k.execEnv), Mode: 0o644}})
	return zip, "", err
}

func openInproc(t *testing.T, o Options) *Driver {
	t.Helper()
	d, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	d.buildArchive = fakeArchive
	if _, err := d.Deploy(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// echoJob runs n echo tasks on d and returns the state of the backend's
// flow control afterwards.
func echoJob(t *testing.T, d *Driver, n, sleepMS int, opts *overcast.Options) backend.Flow {
	t.Helper()
	b := backend.New("openwhisk", d)
	defer b.Close()
	opts.BackoffBase, opts.BackoffMax = 20*time.Millisecond, time.Second
	ex := overcast.NewExecutorFor(b, opts)
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i].N, ins[i].SleepMS = 3*i, sleepMS
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	outs, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.N != 3*i {
			t.Fatalf("output %d = %+v, want n=%d", i, o, 3*i)
		}
	}
	return b.Flow()
}

// useTestBootstrap deploys the overcast command built as a worker once
// for all test packages (see internal/testbin) instead of building it.
func useTestBootstrap(t *testing.T) {
	bin := testbin.Bootstrap(t)
	old := workerBinary
	workerBinary = func(ctx context.Context, goarch, dir string) (*deploy.Binary, error) {
		if goarch != runtime.GOARCH {
			return nil, fmt.Errorf("the test worker is built for %s, not %s", runtime.GOARCH, goarch)
		}
		return &deploy.Binary{Path: bin, GOARCH: goarch}, nil
	}
	t.Cleanup(func() { workerBinary = old })
}

// TestConformanceOnSim runs the shared suite against the real worker
// binary, deployed to the sim and run as actionloop processes.
func TestConformanceOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker binary")
	}
	useTestBootstrap(t)
	_, o := startSim(t, &sim.Options{Mode: sim.ModeProcess, Concurrency: 40}, Options{Timeout: 5 * time.Second, Deploy: true})
	first, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	o.Deploy = false
	warmUp(t, o, 40) // cold starts of the sim's 40 processes must not let backups win Order
	for _, mode := range []string{CollectList, CollectBlocking} {
		t.Run(mode, func(t *testing.T) {
			o := o
			o.Collect = mode
			drivertest.RunConformanceTests(t, drivertest.Harness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					d, err := Open(ctx, &o)
					if err != nil {
						return nil, err
					}
					return backend.New("openwhisk", d), nil
				},
				Large: 2000,
			})
		})
	}
}

// TestThrottledRunOnSim asks for more in flight than the namespace allows
// at a pace over its per-minute limit; the run still completes.
func TestThrottledRunOnSim(t *testing.T) {
	s, o := startSim(t, &sim.Options{Concurrency: 20, PerMinute: 100}, Options{})
	d := openInproc(t, o)
	if d.Capacity() != 20 {
		t.Errorf("Capacity = %d, want the namespace's 20", d.Capacity())
	}
	echoJob(t, d, 30, 0, &overcast.Options{Concurrency: 60})
	st := s.Stats()
	if st.Invocations < 30 || st.MaxRunning > 20 {
		t.Errorf("sim stats %+v: want at least 30 invocations, at most 20 at once", st)
	}
}

// TestThrottleLearnedOnSim starts with a driver that believes the
// namespace allows far more than it does: the sim's 429s teach it.
func TestThrottleLearnedOnSim(t *testing.T) {
	s, o := startSim(t, &sim.Options{Concurrency: 10, PerMinute: 100000}, Options{})
	d := openInproc(t, o)
	d.capacity = 1000
	fl := echoJob(t, d, 200, 50, &overcast.Options{Concurrency: 100})
	if s.Stats().Throttled == 0 {
		t.Fatal("the sim throttled nothing")
	}
	if fl.Window > 10 || fl.MaxWindow != 10 {
		t.Errorf("window = %d (max %d) after the sim's 429s, want at most the allowed 10", fl.Window, fl.MaxWindow)
	}
}

// TestThrottleConformanceOnSim runs the shared throttle suite against the
// sim's concurrency limit, which its 429s name, with a driver that
// believes the namespace allows four times more; in every collection mode.
func TestThrottleConformanceOnSim(t *testing.T) {
	for _, mode := range []string{CollectList, CollectPoll, CollectBlocking} {
		t.Run(mode, func(t *testing.T) {
			s, o := startSim(t, &sim.Options{Concurrency: 8}, Options{Collect: mode})
			drivertest.RunThrottleTests(t, drivertest.ThrottleHarness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					d := openInproc(t, o)
					d.capacity = 32
					return backend.New("openwhisk", d), nil
				},
				Limit:        8,
				ReportsLimit: true,
				Tasks:        100,
			})
			if st := s.Stats(); st.MaxRunning > 8 {
				t.Errorf("sim stats %+v: more than its limit of 8 ran at once", st)
			}
		})
	}
}

// TestFaultsOnSim injects crashes, 5xx answers, lost activations and
// stragglers; with retries the job gives the fault-free answer.
func TestFaultsOnSim(t *testing.T) {
	for _, mode := range []string{CollectList, CollectPoll, CollectBlocking} {
		t.Run(mode, func(t *testing.T) {
			s, o := startSim(t, &sim.Options{Seed: 7, Faults: sim.Faults{CrashRate: 0.05, ServerErrorRate: 0.05,
				LostRate: 0.05, StragglerRate: 0.05, StragglerSlowdown: 3}}, Options{Collect: mode, Timeout: 3 * time.Second}) // room for a loaded machine under -race
			d := openInproc(t, o)
			echoJob(t, d, 300, 0, &overcast.Options{MaxAttempts: 10}) // crashes are retried by default
			if st := s.Stats(); st.Crashes == 0 || st.ServerErrors == 0 || st.Lost == 0 {
				t.Errorf("sim stats %+v: want some of each fault", st)
			}
		})
	}
}

// TestNoCredentialsInErrors checks that no error of a refused or failing
// call repeats the key.
func TestNoCredentialsInErrors(t *testing.T) {
	s, o := startSim(t, &sim.Options{}, Options{})
	key := s.Auth()[strings.Index(s.Auth(), ":")+1:]
	o.Config.Auth = "someone:" + key + "x"
	_, err := Open(context.Background(), &o)
	if errorCode(err) != driver.PermissionDenied || strings.Contains(err.Error(), key) {
		t.Errorf("Open with a wrong key: %v", err)
	}
	o.Config.Auth = s.Auth()
	o.Action = "missing"
	d, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = backend.New("openwhisk", d).Invoke(context.Background(), invocation(t))
	if backend.Code(err) != backend.NotFound || strings.Contains(err.Error(), key) {
		t.Errorf("Invoke of a missing action: %v (%v)", err, backend.Code(err))
	}
}

func invocation(t *testing.T) *driver.Invocation {
	return &driver.Invocation{Task: selftest.Echo, Payload: echoPayload(t, 1)}
}
