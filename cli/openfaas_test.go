package cli

import (
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/faasgw"
)

// TestRunOnOpenFaaSAsync runs `overcast run pi --backend http --endpoint
// http://GATEWAY/async-function/NAME` through the OpenFaaS stand-in on a
// worker process: the tasks go through the gateway's queue and their
// results come back to the command's callback listener.
func TestRunOnOpenFaaSAsync(t *testing.T) {
	g, err := faasgw.NewOpenFaaS(faasgw.OpenFaaSOptions{QueueWorkers: 2,
		Functions: map[string]faasgw.Starter{"overcast": &faasgw.Process{Bin: binary, Token: "T3"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer func() {
		srv.Close()
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	}()
	stdout, stderr, code := execBin(t, []string{"OVERCAST_TOKEN=T3"}, "run", "pi", "--backend", "http",
		"--endpoint", srv.URL+"/async-function/overcast", "--callback-addr", "127.0.0.1:0", "--callback-timeout", "2m",
		"--tasks", "12", "--json")
	r := decodeResult(t, stdout, stderr)
	if code != 0 || r.FailedTasks != 0 || r.Tasks != 12 || math.Abs(r.Answer-math.Pi) > 1e-2 {
		t.Fatalf("exit %d, result %+v; stderr:\n%s", code, r, stderr)
	}
	if s := g.Stats(); s.Async != 12 {
		t.Errorf("gateway %+v, want 12 async calls", s)
	}
}

// TestOpenFaaSAsyncFlagErrors checks the usage errors of the callback flags.
func TestOpenFaaSAsyncFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--endpoint", "http://gw/async-function/f", "--callback-url", "gw:9000"}, "callback URL"},
		{[]string{"--endpoint", "http://gw/async-function/f", "--callback-timeout", "-1s"}, "callback-timeout must be positive"},
		{[]string{"--endpoint", "http://gw/async-function/f,http://w:8080"}, "must be the only endpoint"},
	} {
		_, stderr, code := execBin(t, []string{"OVERCAST_TOKEN=T"}, append([]string{"run", "pi", "--tasks", "1", "--backend", "http"}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tt.args, code, stderr, tt.want)
		}
	}
}
