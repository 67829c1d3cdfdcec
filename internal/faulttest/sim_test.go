package faulttest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/sim"
)

// actionTimeout is the action's time limit: longer than a straggler's
// 20-fold slowdown, with room for a loaded machine: a straggler stretched
// past the limit fails for good. The sim stretches a straggler's running
// time (at least 100 ms), and on a loaded machine a task of a few
// milliseconds of work runs for a second or more, waiting for a core.
const actionTimeout = 30 * time.Second

// faultMix is the fault mix: 10% crashes, 5% 5xx answers, 5%
// stragglers 20 times slower, 1% lost activations.
var faultMix = sim.Faults{CrashRate: 0.10, ServerErrorRate: 0.05, StragglerRate: 0.05,
	StragglerSlowdown: 20, LostRate: 0.01}

// coldStart is the sim's container start time: the first wave of
// invocations all start containers, so the demand outlasts the limit.
const coldStart = 100 * time.Millisecond

// simLimit is the namespace's concurrency limit, well under the demand.
const (
	simLimit = 40
	demand   = 200
)

// platform is a sim reached through a proxy that hides the namespace's
// concurrency limit, as deployments that leave it out of their limits do:
// the driver assumes OpenWhisk's default of 100 and must learn the real
// limit from 429 answers.
type platform struct {
	sim   *sim.Server
	proxy *httptest.Server
	// throttled is closed when the sim first answers with a 429.
	throttled chan struct{}
	once      sync.Once
	wave      wave
}

// startPlatform starts a sim with opts on a random 127.0.0.1 port, the
// proxy before it, and, in inproc mode (the default), deploys a stand-in
// action (inproc mode runs tasks in this process and only checks the
// archive).
func startPlatform(tb testing.TB, opts sim.Options) *platform {
	tb.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.Mode == "" {
		opts.Mode = sim.ModeInproc
	}
	s, err := sim.New(&opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	target, _ := url.Parse(s.APIHost())
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	p := &platform{sim: s, throttled: make(chan struct{})}
	rp.ModifyResponse = func(r *http.Response) error {
		if r.StatusCode == http.StatusTooManyRequests {
			p.once.Do(func() { close(p.throttled) })
		}
		return hideConcurrencyLimit(r)
	}
	rp.ErrorLog = log.New(io.Discard, "", 0) // canceled losing copies are expected
	p.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.wave.join(r)
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(p.proxy.Close)
	if opts.Mode != sim.ModeInproc {
		return p
	}
	if err := deployStandIn(context.Background(), p.config(), "overcast"); err != nil {
		tb.Fatal(err)
	}
	return p
}

// hideConcurrencyLimit drops concurrentInvocations from the limits document.
func hideConcurrencyLimit(r *http.Response) error {
	if !strings.HasSuffix(r.Request.URL.Path, "/limits") || r.StatusCode != http.StatusOK {
		return nil
	}
	var doc map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		return err
	}
	r.Body.Close()
	delete(doc, "concurrentInvocations")
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	r.Body = nopCloser{strings.NewReader(string(b))}
	r.ContentLength = int64(len(b))
	r.Header.Del("Content-Length")
	return nil
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func (p *platform) config() openwhisk.Config {
	return openwhisk.Config{APIHost: p.proxy.URL, Auth: p.sim.Auth()}
}

// deployStandIn creates the action with an archive the inproc mode accepts.
func deployStandIn(ctx context.Context, cfg openwhisk.Config, name string) error {
	zip, err := deploy.Zip([]deploy.File{{Name: "exec", Data: []byte("#!/bin/false\n"), Mode: 0o755},
		{Name: "exec.env", Data: []byte(sim.DefaultExecEnv), Mode: 0o644}})
	if err != nil {
		return err
	}
	c, err := openwhisk.NewClient(&cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.PutAction(ctx, name, &openwhisk.Action{
		Exec:   openwhisk.Exec{Kind: sim.DefaultKind, Code: base64.StdEncoding.EncodeToString(zip), Binary: true},
		Limits: &openwhisk.ActionLimits{Timeout: int(actionTimeout.Milliseconds()), Memory: 256, Concurrency: 1},
	})
}

// executor opens the OpenWhisk backend on p, reading no wsk configuration
// of this machine, and returns an executor asking for demand in flight.
func (p *platform) executor(tb testing.TB, opts overcast.Options) *overcast.Executor {
	tb.Helper()
	home := tb.TempDir()
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	d, err := openwhisk.Open(context.Background(), &openwhisk.Options{Config: p.config(), Timeout: actionTimeout, Getenv: getenv})
	if err != nil {
		tb.Fatal(err)
	}
	b := backend.New("openwhisk", d)
	tb.Cleanup(func() { b.Close() })
	if opts.Concurrency == 0 {
		opts.Concurrency = demand
	}
	return overcast.NewExecutorFor(b, &opts)
}

// checkFaults fails unless the sim injected every kind of fault.
func checkFaults(t *testing.T, st sim.Stats) {
	t.Helper()
	t.Logf("sim: %d invocations, %d throttled, %d crashes, %d 5xx, %d stragglers, %d lost, %d timeouts, at most %d running",
		st.Invocations, st.Throttled, st.Crashes, st.ServerErrors, st.Stragglers, st.Lost, st.Timeouts, st.MaxRunning)
	for _, c := range []struct {
		name string
		n    int64
	}{{"crashes", st.Crashes}, {"5xx answers", st.ServerErrors}, {"throttled invokes", st.Throttled},
		{"stragglers", st.Stragglers}, {"lost activations", st.Lost}} {
		if c.n == 0 {
			t.Errorf("the sim injected no %s: the run proves nothing about them", c.name)
		}
	}
	if st.MaxRunning > simLimit {
		t.Errorf("the sim ran %d activations at once, over its limit of %d", st.MaxRunning, simLimit)
	}
}

// checkReport fails unless every task is done and the scheduler retried,
// was throttled and launched backups.
func checkReport(t *testing.T, r *overcast.Report) {
	t.Helper()
	t.Logf("report: %d tasks in %v, %d retries, %d throttles, %d backups (%d won)",
		r.Tasks, r.Wall().Round(time.Millisecond), r.Retries, r.Throttles, r.Backups, r.BackupWins)
	for i, rec := range r.Records.Slice() {
		if rec.State != overcast.Done {
			t.Errorf("task %d: state %v, want done", i, rec.State)
		}
	}
	if len(r.Failed) > 0 {
		t.Errorf("%d tasks failed, first %v", len(r.Failed), r.Failed[0].Err)
	}
	if r.Retries == 0 || r.Throttles == 0 || r.Backups == 0 {
		t.Errorf("report shows %d retries, %d throttles, %d backups: want each > 0", r.Retries, r.Throttles, r.Backups)
	}
}

// propsConfig reads the APIHOST and AUTH of wskprops lines.
func propsConfig(props string) openwhisk.Config {
	p := openwhisk.ParseProps([]byte(props))
	return openwhisk.Config{APIHost: p["APIHOST"], Auth: p["AUTH"]}
}
