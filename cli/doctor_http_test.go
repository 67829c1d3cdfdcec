package cli

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
)

// TestDoctorHTTP runs doctor against two real worker serve processes of
// concurrency 2 and 3 and a closed port: the workers bind the width at
// 2 + 3, each endpoint's concurrency comes from its 429, and the closed
// port is reported down.
func TestDoctorHTTP(t *testing.T) {
	env := []string{"OVERCAST_TOKEN=DT"}
	a := startServe(t, env, "worker", "serve", "--addr", "127.0.0.1:0", "--concurrency", "2")
	b := startServe(t, env, "worker", "serve", "--addr", "127.0.0.1:0", "--concurrency", "3")
	dead := closedPort(t)
	eps := "http://" + a.addr + ",http://" + b.addr + "," + dead
	stdout, stderr, code := execBin(t, env, "doctor", "--backend", "http", "--endpoint", eps, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	for _, k := range []string{"max_concurrency", "per_minute", "binding_limit", "kinds", "exec_env", "cold_start_seconds", "warm_invoke_seconds"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("no %q in %s", k, stdout)
		}
	}
	var r struct {
		doctorJSON
		Endpoints []endpointReport `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.MaxConcurrency == nil || *r.MaxConcurrency != 5 || r.BindingLimit != bindWorkers || r.PayloadLimitBytes <= 0 ||
		r.ColdStartSeconds == nil || r.WarmInvokeSeconds == nil {
		t.Fatalf("report %s", stdout)
	}
	want := []struct {
		up          bool
		concurrency int
	}{{true, 2}, {true, 3}, {false, 0}}
	if len(r.Endpoints) != len(want) {
		t.Fatalf("endpoints %+v", r.Endpoints)
	}
	for i, w := range want {
		if e := r.Endpoints[i]; e.Up != w.up || e.Concurrency != w.concurrency {
			t.Errorf("endpoint %d: %+v, want up %v concurrency %d", i, e, w.up, w.concurrency)
		}
	}

	// --http-concurrency below the workers' binds instead: 1 per endpoint.
	stdout, stderr, code = execBin(t, env, "doctor", "--backend", "http", "--endpoint", eps, "--http-concurrency", "1")
	if code != 0 || !strings.Contains(stdout, "max --concurrency   2 (bound by concurrency setting)") || !strings.Contains(stdout, dead+" down") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
}

// TestDoctorHTTPRefusals checks doctor's one-line failures: a wrong
// token, and no endpoint that answers.
func TestDoctorHTTPRefusals(t *testing.T) {
	p := startServe(t, []string{"OVERCAST_TOKEN=RT"}, "worker", "serve", "--addr", "127.0.0.1:0", "--concurrency", "2")
	for _, tt := range []struct {
		env       []string
		endpoints string
		want      string
	}{
		{[]string{"OVERCAST_TOKEN=wrong"}, "http://" + p.addr, "refuses the credential"},
		{[]string{"OVERCAST_TOKEN=RT"}, closedPort(t), "no endpoint answers"},
	} {
		_, stderr, code := execBin(t, tt.env, "doctor", "--backend", "http", "--endpoint", tt.endpoints)
		if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want one line with %q", tt.endpoints, code, stderr, tt.want)
		}
	}
}

// closedPort returns the URL of a port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}
