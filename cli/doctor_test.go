package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/sim"
)

// doctorJSON is the part of doctor's JSON the tests read.
type doctorJSON struct {
	MaxConcurrency    *int     `json:"max_concurrency"`
	PerMinute         *int     `json:"per_minute"`
	BindingLimit      string   `json:"binding_limit"`
	Kinds             []string `json:"kinds"`
	ExecEnv           *string  `json:"exec_env"`
	ColdStartSeconds  *float64 `json:"cold_start_seconds"`
	WarmInvokeSeconds *float64 `json:"warm_invoke_seconds"`
	Invokers          int      `json:"invokers"`
	InvokerSlots      int      `json:"invoker_slots"`
	Deployed          bool     `json:"deployed"`
	PayloadLimitBytes int      `json:"payload_limit_bytes"`
	MemoryLimitsMB    []int    `json:"memory_limits_mb"`
	TimeLimitsSeconds []float64
	Target            *struct {
		Reached bool          `json:"reached"`
		Changes []chartChange `json:"changes"`
	} `json:"target"`
	Notes []string `json:"notes"`
}

// runDoctor runs doctor --json against the wskprops file and decodes it,
// checking the contract's keys are all there.
func runDoctor(t *testing.T, props string, args ...string) *doctorJSON {
	t.Helper()
	stdout, stderr, code := execBin(t, []string{"WSK_CONFIG_FILE=" + props}, append([]string{"doctor", "--backend", "openwhisk", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("doctor %v: exit %d: %s", args, code, stderr)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatalf("doctor %v: not one JSON object: %v\n%s", args, err, stdout)
	}
	for _, k := range []string{"max_concurrency", "per_minute", "binding_limit", "kinds", "exec_env", "cold_start_seconds", "warm_invoke_seconds"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("doctor %v: no %q in %s", args, k, stdout)
		}
	}
	var r doctorJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// deployTo deploys the worker to the sim of the wskprops file.
func deployTo(t *testing.T, props string) {
	t.Helper()
	if _, stderr, code := execBin(t, []string{"WSK_CONFIG_FILE=" + props}, "deploy", "--backend", "openwhisk"); code != 0 {
		t.Fatalf("deploy: exit %d: %s", code, stderr)
	}
}

// writeProps writes a wskprops file for s.
func writeProps(t *testing.T, apihost, auth string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wskprops")
	if err := os.WriteFile(p, []byte("APIHOST="+apihost+"\nAUTH="+auth+"\nNAMESPACE=guest\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDoctorStockChart runs doctor against a sim limited as the stock
// chart is (30 concurrent, 60 a minute, one invoker of 2048 MB): at 10 s
// a task the per-minute limit binds (10 running); at 60 s the concurrent
// limit does (30); told the chart's values (an empty values file layers
// over its defaults), the invoker does (2048 / 256 = 8).
func TestDoctorStockChart(t *testing.T) {
	s, err := sim.New(&sim.Options{Concurrency: 30, PerMinute: 60, Invokers: 1, UserMemoryMB: 2048, ColdStart: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	props := writeProps(t, s.APIHost(), s.Auth())
	before := runDoctor(t, props, "--target-concurrency", "1000")
	if before.Deployed || before.ColdStartSeconds != nil || !strings.Contains(strings.Join(before.Notes, "\n"), "overcast deploy") {
		t.Errorf("before deploy: %+v", before)
	}
	deployTo(t, props)
	empty := filepath.Join(t.TempDir(), "values.yaml")
	os.WriteFile(empty, nil, 0o644)
	for i, tc := range []struct {
		args    []string
		width   int
		binding string
	}{
		{nil, 10, bindPerMinute},
		{[]string{"--task-seconds", "60", "--no-invoke"}, 30, bindConcurrent},
		{[]string{"--task-seconds", "60", "--helm-values", empty, "--no-invoke"}, 8, bindInvokers},
	} {
		r := runDoctor(t, props, tc.args...)
		if *r.MaxConcurrency != tc.width || r.BindingLimit != tc.binding || *r.PerMinute != 60 {
			t.Errorf("doctor %v: max_concurrency %d bound by %s (per minute %d), want %d by %s", tc.args, *r.MaxConcurrency, r.BindingLimit, *r.PerMinute, tc.width, tc.binding)
		}
		// The first run measures; the per-minute limit of 60 leaves the
		// others (and the 15 invocations doctor allows itself) none.
		if i == 0 && (!r.Deployed || r.ColdStartSeconds == nil || r.WarmInvokeSeconds == nil || *r.ColdStartSeconds <= 0) {
			t.Errorf("doctor %v: deployed %v, cold %v, warm %v", tc.args, r.Deployed, r.ColdStartSeconds, r.WarmInvokeSeconds)
		}
		if *r.ExecEnv != "openwhisk/action-golang-v1.24" || len(r.Kinds) != 3 || r.Invokers != 1 || r.PayloadLimitBytes != 1<<20 {
			t.Errorf("doctor %v: exec_env %q, kinds %v, invokers %d, payload %d", tc.args, *r.ExecEnv, r.Kinds, r.Invokers, r.PayloadLimitBytes)
		}
	}
	r := runDoctor(t, props, "--helm-values", empty, "--target-concurrency", "1000", "--no-invoke")
	want := map[string]string{
		"whisk.limits.actionsInvokesConcurrent":            "1000",
		"invoker.containerFactory.kubernetes.replicaCount": "125", // 1000 / (2048 / 256)
		"whisk.containerPool.userMemory":                   "256000m",
		"whisk.limits.actionsInvokesPerminute":             "6000", // 1000 x 60 s / 10 s
	}
	got := map[string]string{}
	for _, c := range r.Target.Changes {
		got[c.Key] = c.Value
	}
	if r.Target.Reached || len(got) != len(want) {
		t.Fatalf("--target-concurrency 1000 on the stock chart: %+v", r.Target)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("--target-concurrency 1000: %s = %q, want %q", k, got[k], v)
		}
	}
}

// startSimCmd runs `overcast sim` with args in this process until the
// test ends and returns its wskprops file.
func startSimCmd(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- Run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), w, &stderr)
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	props := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(props) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		props[k] = v
	}
	go io.Copy(io.Discard, out)
	if props["APIHOST"] == "" {
		cancel()
		<-done
		t.Fatalf("sim %v printed no APIHOST: %s", args, stderr.String())
	}
	return writeProps(t, props["APIHOST"], props["AUTH"])
}

// TestDoctorHelmValuesSim runs doctor against `overcast sim --helm-values`
// with the fan-out values: it reports at least 2000 at once, bound by the
// concurrent limit with the invokers' 2048 slots behind it; with the
// 10,000-way overlay (20000 concurrent, 20480 slots) Overcast's driver,
// which keeps at most 10,000 in flight, binds.
func TestDoctorHelmValuesSim(t *testing.T) {
	k8s := filepath.Join("..", "deploy", "openwhisk", "values-kubernetes.yaml")
	k10 := filepath.Join("..", "deploy", "openwhisk", "values-10k.yaml")
	for _, tc := range []struct {
		files          []string
		width, slots   int
		binding        string
		invokers, perM int
	}{
		{[]string{k8s}, 2000, 2048, bindConcurrent, 16, 60000},
		{[]string{k8s, k10}, 10000, 20480, bindDriver, 80, 600000},
	} {
		var args []string
		for _, f := range tc.files {
			args = append(args, "--helm-values", f)
		}
		props := startSimCmd(t, append(args, "--cold-start", "20ms")...)
		deployTo(t, props)
		r := runDoctor(t, props, append(args, "--target-concurrency", "1000")...)
		// A second run finds a warm container: its bursts start new ones.
		if again := runDoctor(t, props, args...); again.ColdStartSeconds == nil || r.ColdStartSeconds == nil || again.WarmInvokeSeconds == nil {
			t.Errorf("%v: cold %v then %v, warm %v", tc.files, r.ColdStartSeconds, again.ColdStartSeconds, again.WarmInvokeSeconds)
		}
		if *r.MaxConcurrency != tc.width || r.BindingLimit != tc.binding || r.InvokerSlots != tc.slots || r.Invokers != tc.invokers || *r.PerMinute != tc.perM {
			t.Errorf("%v: max_concurrency %d by %s, slots %d, invokers %d, per minute %d; want %d by %s, %d, %d, %d",
				tc.files, *r.MaxConcurrency, r.BindingLimit, r.InvokerSlots, r.Invokers, *r.PerMinute, tc.width, tc.binding, tc.slots, tc.invokers, tc.perM)
		}
		if *r.MaxConcurrency < 2000 || r.Target == nil || !r.Target.Reached || len(r.Target.Changes) != 0 {
			t.Errorf("%v: target 1000 not reached without changes: %+v", tc.files, r.Target)
		}
		if *r.ExecEnv != "openwhisk/action-golang-v1.17" || strings.Join(r.Kinds, ",") != "go:1.17" {
			t.Errorf("%v: exec_env %q, kinds %v; want the chart's go:1.17", tc.files, *r.ExecEnv, r.Kinds)
		}
		if len(r.MemoryLimitsMB) != 2 || r.MemoryLimitsMB[1] != 2048 {
			t.Errorf("%v: memory limits %v, want up to 2048 MB", tc.files, r.MemoryLimitsMB)
		}
		if len(r.Notes) != 0 {
			t.Errorf("%v: notes %v", tc.files, r.Notes)
		}
	}
}

// TestDoctorBadInput checks each bad input gets one line and exit 2.
func TestDoctorBadInput(t *testing.T) {
	props := writeProps(t, "http://127.0.0.1:9", "a:b")
	for _, args := range [][]string{
		{"doctor"},
		{"doctor", "--backend", "local"},
		{"doctor", "--backend", "openwhisk", "--task-seconds", "0"},
		{"doctor", "--backend", "openwhisk", "--helm-values", filepath.Join(t.TempDir(), "none.yaml")},
		{"doctor", "--backend", "lambda", "--helm-values", "x.yaml"},
		{"doctor", "--backend", "openwhisk", "extra"},
	} {
		_, stderr, code := execBin(t, []string{"WSK_CONFIG_FILE=" + props}, args...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

// TestSimHelmValuesBad checks --helm-values' bad inputs.
func TestSimHelmValuesBad(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("whisk: {limits: {actionsInvokesConcurrent: 0}}\n"), 0o644)
	for _, args := range [][]string{
		{"--helm-values", filepath.Join(t.TempDir(), "none.yaml")},
		{"--helm-values", bad},
		{"--helm-values", filepath.Join("..", "deploy", "openwhisk", "values-kubernetes.yaml"), "--concurrency-limit", "5"},
	} {
		var stderr strings.Builder
		if code := Run(context.Background(), append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), io.Discard, &stderr); code != exitUsage {
			t.Errorf("sim %v: exit %d, want %d (%s)", args, code, exitUsage, stderr.String())
		}
	}
}

// TestCapacityBinding checks the choice of the binding limit.
func TestCapacityBinding(t *testing.T) {
	for _, tc := range []struct {
		c       capacity
		width   int
		binding string
	}{
		{capacity{Concurrent: 30, PerMinute: 60, TaskSeconds: 10}, 10, bindPerMinute},
		{capacity{Concurrent: 30, PerMinute: 60, TaskSeconds: 60}, 30, bindConcurrent},
		{capacity{Concurrent: 30, PerMinute: 60, Slots: 8, TaskSeconds: 60}, 8, bindInvokers},
		{capacity{Concurrent: 30, PerMinute: 0, TaskSeconds: 1}, 30, bindConcurrent},
		{capacity{Concurrent: 30, PerMinute: 1, TaskSeconds: 1}, 1, bindPerMinute},
		{capacity{Concurrent: 2000, PerMinute: 60000, Slots: 2000, TaskSeconds: 2}, 2000, bindConcurrent},
		{capacity{Concurrent: 20000, PerMinute: 600000, Slots: 20480, TaskSeconds: 10, Driver: 10000}, 10000, bindDriver},
	} {
		if w, b := tc.c.binding(); w != tc.width || b != tc.binding {
			t.Errorf("%+v: %d by %s, want %d by %s", tc.c, w, b, tc.width, tc.binding)
		}
	}
}

// TestDoctorLambdaEmulator runs doctor --backend lambda against the
// worker under the Lambda Runtime Interface Emulator: the endpoint sets
// the width, Lambda's payload limit is reported, and a warm invoke is
// measured.
func TestDoctorLambdaEmulator(t *testing.T) {
	ep := startRIE(t, binary)
	stdout, stderr, code := runBin(t, "doctor", "--backend", "lambda", "--endpoint", ep, "--json")
	if code != 0 {
		t.Fatalf("doctor: exit %d: %s", code, stderr)
	}
	var r doctorJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if r.BindingLimit != bindEndpoints || r.MaxConcurrency == nil || *r.MaxConcurrency < 1 || r.WarmInvokeSeconds == nil || r.PayloadLimitBytes != 6<<20 {
		t.Errorf("doctor on the emulator: %s", stdout)
	}
}
