package cli

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestUndeployTwiceOnTheSim removes the action, then says there was
// nothing to remove, both with exit 0.
func TestUndeployTwiceOnTheSim(t *testing.T) {
	env := []string{"WSK_CONFIG_FILE=" + simProps(t)}
	if _, stderr, code := runEnv(t, env, "deploy", "--backend", "openwhisk"); code != 0 {
		t.Fatalf("deploy: exit %d: %s", code, stderr)
	}
	// A platform with cold starts reports them (the local backend does not).
	out, stderr, code := runEnv(t, env, "run", "primes", "--backend", "openwhisk", "--tasks", "1", "--to", "1e3", "--no-deploy")
	if code != 0 || !regexp.MustCompile(`, (1 cold start|\d+ cold starts)\n`).MatchString(out) {
		t.Fatalf("run on the sim: exit %d, stdout %q, stderr %q; want its cold starts", code, out, stderr)
	}
	want := []string{"removed the worker from openwhisk", "nothing to remove: action overcast does not exist on openwhisk"}
	for _, w := range want {
		out, stderr, code := runEnv(t, env, "undeploy", "--backend", "openwhisk")
		if code != 0 || strings.TrimSpace(out) != w || stderr != "" {
			t.Fatalf("undeploy: exit %d, stdout %q, stderr %q; want %q", code, out, stderr, w)
		}
	}
}

// lambdaDeleteStandIn answers DeleteFunction as Lambda does: 204 for a
// function that exists, then 404 ResourceNotFoundException.
func lambdaDeleteStandIn(t *testing.T) string {
	var mu sync.Mutex
	exists := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != "DELETE" || r.URL.Path != "/2015-03-31/functions/overcast" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if exists {
			exists = false
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:overcast"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestUndeployTwiceOnLambda(t *testing.T) {
	url := "lambda://overcast?deploy=true&region=us-east-1&endpoint=" + lambdaDeleteStandIn(t)
	want := []string{"removed the worker from lambda", "nothing to remove: function overcast does not exist on lambda"}
	for _, w := range want {
		out, stderr, code := runBin(t, "undeploy", "--backend", url)
		if code != 0 || strings.TrimSpace(out) != w || stderr != "" {
			t.Fatalf("undeploy: exit %d, stdout %q, stderr %q; want %q", code, out, stderr, w)
		}
	}
	out, stderr, code := runBin(t, "undeploy", "--backend", "lambda", "--endpoint", "http://127.0.0.1:9")
	if code != 0 || !strings.HasPrefix(out, "nothing to remove: ") || stderr != "" {
		t.Fatalf("undeploy of an emulator's function: exit %d, stdout %q, stderr %q; want nothing to remove", code, out, stderr)
	}
}
