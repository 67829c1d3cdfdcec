package cli

import (
	"encoding/json"
	"math"
	"net"
	"strings"
	"testing"
)

// TestRunOnHTTPWorkers is the contract: with the workers' token in
// OVERCAST_TOKEN, `overcast run pi --backend http --endpoint URL --json`
// runs the job on a worker serve process and prints the usual JSON.
// Without the token every task is refused, and the run fails with a line
// that says so.
func TestRunOnHTTPWorkers(t *testing.T) {
	p := startServe(t, []string{"OVERCAST_TOKEN=T"}, "worker", "serve", "--addr", "127.0.0.1:0")
	url := "http://" + p.addr
	// The contract's line, with fewer samples than pi's default to spare
	// the machine: the flags under test are the same.
	stdout, stderr, code := execBin(t, []string{"OVERCAST_TOKEN=T"}, "run", "pi", "--backend", "http", "--endpoint", url, "--json", "--samples", "2e7")
	r := decodeResult(t, stdout, stderr)
	if code != 0 || r.Backend != "http" || r.FailedTasks != 0 || r.Tasks == 0 || math.Abs(r.Answer-math.Pi) > 1e-2 {
		t.Fatalf("exit %d, result %+v; stderr:\n%s", code, r, stderr)
	}

	stdout, stderr, code = execBin(t, []string{"OVERCAST_TOKEN="}, "run", "pi", "--backend", "http", "--endpoint", url, "--tasks", "4", "--json")
	r = decodeResult(t, stdout, stderr)
	if code == 0 || r.FailedTasks != 4 || len(r.Failures) == 0 || !strings.Contains(r.Failures[0].Error, "HTTP 401") ||
		!strings.Contains(r.Failures[0].Error, "no credentials") {
		t.Fatalf("without the token: exit %d, result %+v; stderr:\n%s", code, r, stderr)
	}
}

// TestRunOnHTTPWorkersSkipsADeadEndpoint runs a job over a worker and a
// closed port: it completes on the worker.
func TestRunOnHTTPWorkersSkipsADeadEndpoint(t *testing.T) {
	p := startServe(t, []string{"OVERCAST_TOKEN=T2"}, "worker", "serve", "--addr", "127.0.0.1:0", "--concurrency", "8")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	stdout, stderr, code := execBin(t, []string{"OVERCAST_TOKEN=T2"}, "run", "pi", "--backend", "http",
		"--endpoint", dead+",http://"+p.addr, "--http-concurrency", "4", "--tasks", "40", "--samples", "4e6", "--json")
	r := decodeResult(t, stdout, stderr)
	if code != 0 || r.FailedTasks != 0 || r.Tasks != 40 {
		t.Fatalf("exit %d, result %+v; stderr:\n%s", code, r, stderr)
	}
}

// TestHTTPBackendFlagErrors checks the usage errors of the http flags.
func TestHTTPBackendFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "http"}, "--backend http needs --endpoint"},
		{[]string{"--backend", "http", "--endpoint", "ftp://x"}, "endpoint must be http(s)://HOST[:PORT]"},
		{[]string{"--backend", "http", "--endpoint", "http://u:secretpw@x"}, "holds credentials"},
		{[]string{"--backend", "http", "--endpoint", "http://x", "--http-auth", "kerberos"}, "--http-auth must be none, bearer, google, azure or basic"},
		{[]string{"--backend", "http", "--endpoint", "http://x", "--http-concurrency", "0"}, "must be at least 1"},
	} {
		_, stderr, code := runBin(t, append([]string{"run", "pi", "--tasks", "1"}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || strings.Contains(stderr, "secretpw") {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tt.args, code, stderr, tt.want)
		}
	}
}

func decodeResult(t *testing.T, stdout, stderr string) *result {
	t.Helper()
	var r result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not one JSON object (%v):\n%s\nstderr: %s", err, stdout, stderr)
	}
	return &r
}
