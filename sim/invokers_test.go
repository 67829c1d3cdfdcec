package sim

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestInvokerPoolHolds checks that invokers of 512 MB hold two actions of
// 256 MB each, and that a fifth waits until one ends.
func TestInvokerPoolHolds(t *testing.T) {
	p := newInvokerPool(2, 512)
	var releases []func()
	for i := range 4 {
		r, err := p.acquire(context.Background(), 256)
		if err != nil {
			t.Fatalf("action %d: %v", i, err)
		}
		releases = append(releases, r)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.acquire(canceled, 256); err == nil {
		t.Fatal("a fifth action of 256 MB found room on two invokers of 512 MB")
	}
	releases[0]()
	r, err := p.acquire(canceled, 256)
	if err != nil {
		t.Fatalf("after one ended, a fifth action found no room: %v", err)
	}
	r()
	if _, err := p.acquire(context.Background(), 1024); err == nil || !strings.Contains(err.Error(), "1024 MB") {
		t.Errorf("an action larger than an invoker's user memory: %v", err)
	}
	if r, err := (*invokerPool)(nil).acquire(canceled, 1<<20); err != nil {
		t.Errorf("no modeled invokers bound nothing: %v", err)
	} else {
		r()
	}
}

// TestInvokersQueue runs two activations on one invoker with room for one:
// the second waits for the first, and its waitTime shows it.
func TestInvokersQueue(t *testing.T) {
	s := newServer(t, &Options{Invokers: 1, UserMemoryMB: 256})
	putAction(t, s, "echo", dummyZip(t), nil)
	var ids []string
	for range 2 {
		b := mustCall(t, s, http.StatusAccepted, "POST", "/namespaces/_/actions/echo", echoRequest(t, `{"sleep_ms":300}`))
		ids = append(ids, decode[struct{ ActivationID string }](t, b).ActivationID)
	}
	var waits []int
	for _, id := range ids {
		a := waitActivation(t, s, id)
		w, _ := strconv.Atoi(a.annotation("waitTime"))
		waits = append(waits, w)
	}
	if max(waits[0], waits[1]) < 250 {
		t.Errorf("waitTimes %v ms: one activation should have waited for the other's 300 ms", waits)
	}
	code, b := getRoot(t, s, "/invokers")
	health := decode[map[string]string](t, b)
	if code != http.StatusOK || len(health) != 1 || health["invoker0/sim-invoker-0"] != "up" {
		t.Errorf("GET /invokers = %v", health)
	}
}

// TestActionBoundsFromOptions checks that MemoryMB and TimeoutMS set the
// bounds an action's limits must lie in, its defaults, and what the
// limits documents report.
func TestActionBoundsFromOptions(t *testing.T) {
	s := newServer(t, &Options{MemoryMB: [3]int{128, 2048, 512}, TimeoutMS: [3]int{0, 900000, 0}})
	putAction(t, s, "big", dummyZip(t), map[string]int{"memory": 2048, "timeout": 900000})
	putAction(t, s, "plain", dummyZip(t), nil)
	a := decode[struct {
		Limits actionLimits `json:"limits"`
	}](t, mustCall(t, s, http.StatusOK, "GET", "/namespaces/_/actions/plain", nil))
	if a.Limits.Memory != 512 || a.Limits.Timeout != 60000 {
		t.Errorf("an action setting no limits got %+v, want 512 MB and 60000 ms", a.Limits)
	}
	code, b, _ := call(t, s, "PUT", "/namespaces/_/actions/huge?overwrite=true", map[string]any{
		"exec": map[string]any{"kind": "go:1.24", "code": dummyZip(t)}, "limits": map[string]int{"memory": 4096}})
	if code != http.StatusBadRequest || !strings.Contains(string(b), "exceeds allowed threshold of 2048 MB") {
		t.Errorf("memory 4096: %d %s", code, b)
	}
	lim := decode[map[string]any](t, mustCall(t, s, http.StatusOK, "GET", "/namespaces/_/limits", nil))
	if lim["maxActionMemory"] != float64(2048) || lim["maxActionTimeout"] != float64(900000) || lim["minActionTimeout"] != float64(100) {
		t.Errorf("limits %v", lim)
	}
	if code, _ := getRoot(t, newServer(t, nil), "/invokers"); code != http.StatusNotFound {
		t.Errorf("GET /invokers without modeled invokers: %d, want 404", code)
	}
	for _, o := range []Options{{MemoryMB: [3]int{0, 100, 0}}, {TimeoutMS: [3]int{-1, 0, 0}}, {Invokers: 2}, {UserMemoryMB: -5}} {
		if _, err := New(&o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

// getRoot sends GET path on the API host itself, without auth, as a
// controller's public paths are read.
func getRoot(t *testing.T, s *Server, path string) (int, []byte) {
	t.Helper()
	resp, err := client.Get(s.APIHost() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}
