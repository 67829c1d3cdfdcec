package openwhisk

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/internal/owproxy"
	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/worker"
)

// images are the Go runtime images the deployed zip is replayed under:
// the oldest and the newest that apache/openwhisk-runtime-go builds today.
var images = []struct{ kind, execEnv string }{
	{"go:1.22", "openwhisk/action-golang-v1.22"},
	{"go:1.24", "openwhisk/action-golang-v1.24"},
}

// deployed caches deployedCode's answers by kind.
var deployed sync.Map

// deployedCode deploys the worker of kind to a sim, as `overcast deploy`
// does, and returns the code the sim received (base64 of the zip).
func deployedCode(t *testing.T, kind, execEnv string) string {
	t.Helper()
	if code, ok := deployed.Load(kind); ok {
		return code.(string)
	}
	useTestBootstrap(t)
	s, o := startSim(t, &sim.Options{}, Options{Kind: kind, ExecEnv: execEnv, GOARCH: runtime.GOARCH, Deploy: true})
	d, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	req, _ := http.NewRequest("GET", s.APIHost()+"/api/v1/namespaces/_/actions/overcast?code=true", nil)
	user, key, _ := strings.Cut(s.Auth(), ":")
	req.SetBasicAuth(user, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Exec struct {
			Kind string `json:"kind"`
			Code string `json:"code"`
		} `json:"exec"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Exec.Kind != kind || doc.Exec.Code == "" {
		t.Fatalf("deployed action: %d, kind %q, %d bytes of code (%v)", resp.StatusCode, doc.Exec.Kind, len(doc.Exec.Code), err)
	}
	deployed.Store(kind, doc.Exec.Code)
	return doc.Exec.Code
}

// startProxy starts Apache's proxy configured as the image of execEnv.
func startProxy(t *testing.T, execEnv string) (*owproxy.Proxy, *os.File) {
	t.Helper()
	bin := owproxytest.Binary(t)
	dir := t.TempDir()
	stdout, err := os.Create(dir + "/stdout")
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(dir + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	p, err := owproxy.Start(bin, owproxy.Config{ExecEnv: execEnv, Env: []string{"__OW_API_HOST=http://127.0.0.1:9"},
		Dir: dir, Stdout: stdout, Stderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); stdout.Close(); stderr.Close() })
	return p, stderr
}

// TestDeployedZipUnderProxy replays the zip deploy uploads under Apache's
// own Go proxy configured as each image: /init, then every selftest
// behaviour over /run, one at a time as the invoker sends them.
func TestDeployedZipUnderProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker and the proxy")
	}
	for _, img := range images {
		t.Run(img.kind, func(t *testing.T) {
			code := deployedCode(t, img.kind, img.execEnv)
			p, _ := startProxy(t, img.execEnv)
			status, answer, err := p.Init(context.Background(), owproxy.InitBody("overcast", "", code, true,
				map[string]string{"__OW_NAMESPACE": "guest", "__OW_ACTION_NAME": "/guest/overcast"}))
			if err != nil || status != http.StatusOK {
				t.Fatalf("/init: %d %s %v", status, answer, err)
			}
			runSelftests(t, p)
		})
	}
}

// TestDeployedZipWrongImage inits the go:1.24 zip under the v1.22 image:
// the proxy refuses it as a real one does, and says why in its log.
func TestDeployedZipWrongImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker and the proxy")
	}
	code := deployedCode(t, "go:1.24", "openwhisk/action-golang-v1.24")
	p, stderr := startProxy(t, "openwhisk/action-golang-v1.22")
	status, answer, err := p.Init(context.Background(), owproxy.InitBody("overcast", "", code, true, nil))
	if err != nil || status != http.StatusBadGateway || !strings.Contains(string(answer), "Cannot start action") {
		t.Fatalf("/init of a mismatched exec.env: %d %s %v", status, answer, err)
	}
	if log, _ := os.ReadFile(stderr.Name()); !strings.Contains(string(log), "Execution environment version mismatch") {
		t.Errorf("proxy log does not say why:\n%s", log)
	}
}

// runSelftests sends /run bodies to an initialized proxy and checks each
// answer, including a blank body and large inputs.
func runSelftests(t *testing.T, p *owproxy.Proxy) {
	far := time.Now().Add(time.Minute)
	big := func(n int) selftest.Input { return selftest.Input{N: n, Pad: strings.Repeat("z", n)} }
	tests := []struct {
		name     string
		body     []byte // a raw /run body; nil means the envelope below
		task     string
		in       selftest.Input
		attempt  int
		deadline time.Time
		want     string // output n, or the error's text
		kind     string // the error's kind; empty means success
	}{
		{name: "echo", task: selftest.Echo, in: selftest.Input{N: 5}, attempt: 1, want: `"n":5,"attempt":1`},
		{name: "task error", task: selftest.Echo, in: selftest.Input{Fail: "boom"}, want: "boom", kind: "error"},
		{name: "panic", task: selftest.Echo, in: selftest.Input{Panic: "kaboom"}, want: "kaboom", kind: "panic"},
		{name: "flaky first attempt", task: selftest.Flaky, in: selftest.Input{N: 2}, attempt: 1, want: "failing attempt 1", kind: "error"},
		{name: "flaky second attempt", task: selftest.Flaky, in: selftest.Input{N: 2}, attempt: 2, want: `"n":2,"attempt":2`},
		{name: "deadline", task: selftest.Echo, in: selftest.Input{SleepMS: 60000}, deadline: time.Now().Add(300 * time.Millisecond),
			want: "deadline exceeded", kind: "error"},
		{name: "blank body", body: []byte{}, want: "blank", kind: "input"},
		{name: "whitespace body", body: []byte(" \t \r "), want: "blank", kind: "input"},
		{name: "after blank bodies", task: selftest.Echo, in: selftest.Input{N: 6}, want: `"n":6,"attempt":0`},
		{name: "unknown task", task: "selftest/nope", want: "selftest/nope", kind: "unknown-task"},
		{name: "200KiB", task: selftest.Echo, in: big(200 << 10), want: `"n":` + strconv.Itoa(200<<10)},
		{name: "900KiB", task: selftest.Echo, in: big(900 << 10), want: `"n":` + strconv.Itoa(900<<10)},
	}
	for _, tt := range tests {
		body := tt.body
		if body == nil {
			in, _ := json.Marshal(tt.in)
			deadline := tt.deadline
			if deadline.IsZero() {
				deadline = far
			}
			req := &worker.Request{Task: tt.task, Attempt: tt.attempt, DeadlineMS: deadline.UnixMilli(), Input: in}
			env, _ := worker.EncodeRequest(req)
			body, _ = owproxy.RunBody(env, owproxy.Activation{Namespace: "guest", ActionName: "/guest/overcast",
				ActivationID: "a" + strconv.Itoa(len(tt.name)), Deadline: deadline})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		status, answer, _, err := p.Run(ctx, body, 4<<20)
		cancel()
		if err != nil || status != http.StatusOK {
			t.Fatalf("%s: /run: %d %.300s %v", tt.name, status, answer, err)
		}
		r, err := worker.DecodeResponse(answer)
		switch {
		case err != nil:
			t.Errorf("%s: answer %.300s: %v", tt.name, answer, err)
		case tt.kind == "" && (r.Error != nil || !strings.Contains(string(r.Output), tt.want)):
			t.Errorf("%s: answer %.300s, want output with %s", tt.name, answer, tt.want)
		case tt.kind != "" && (r.Error == nil || r.Error.Kind != tt.kind || !strings.Contains(r.Error.Message, tt.want)):
			t.Errorf("%s: answer %.300s, want a %s error saying %q", tt.name, answer, tt.kind, tt.want)
		}
	}
}

// warmUp starts n containers. A cold /init of the deployed zip takes
// seconds, long enough for backup copies of the first tasks to win, and
// the suite's Order test wants every first attempt to win.
func warmUp(t *testing.T, o Options, n int) {
	t.Helper()
	d, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]selftest.Input, n)
	for i := range ins {
		ins[i].SleepMS = 300
	}
	b := backend.New("openwhisk", d)
	defer b.Close()
	ex := overcast.NewExecutorFor(b, &overcast.Options{Concurrency: n, Speculation: overcast.Speculation{Disable: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
}

// TestConformanceOnProxySim runs the shared suite with the sim's
// containers being Apache's Go proxy, configured as the newest image
// (TestDeployedZipUnderProxy covers the others).
func TestConformanceOnProxySim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the worker and the proxy")
	}
	useTestBootstrap(t)
	for _, img := range images[len(images)-1:] {
		t.Run(img.kind, func(t *testing.T) {
			so := &sim.Options{Mode: sim.ModeProxy, Proxy: owproxytest.Binary(t), Concurrency: 4, Logf: t.Logf}
			_, o := startSim(t, so, Options{Kind: img.kind, ExecEnv: img.execEnv, GOARCH: runtime.GOARCH, Timeout: 10 * time.Second, Deploy: true})
			first, err := Open(context.Background(), &o)
			if err != nil {
				t.Fatal(err)
			}
			first.Close()
			o.Deploy = false
			warmUp(t, o, so.Concurrency)
			drivertest.RunConformanceTests(t, drivertest.Harness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					d, err := Open(ctx, &o)
					if err != nil {
						return nil, err
					}
					return backend.New("openwhisk", d), nil
				},
				Large: 300,
			})
		})
	}
}
