package sim

import (
	"net/http"
	"testing"

	"github.com/overcast-sc/overcast/internal/owproxy/owproxytest"
)

// initParams are an action's parameters: two for /init's env, one bound
// to every run.
var initParams = []map[string]any{
	{"key": "INIT_TEXT", "value": "s3cr3t", "init": true},
	{"key": "INIT_NUMBER", "value": 7, "init": true},
	{"key": "echo", "value": "bound"},
}

// TestInitParameters checks that the containers of process and proxy
// modes see an action's init parameters in their environment, as a
// controller hands them over in /init's env, while ordinary bound
// parameters still arrive with each run.
func TestInitParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	for _, mode := range []string{ModeProcess, ModeProxy} {
		t.Run(mode, func(t *testing.T) {
			o := &Options{Mode: mode}
			if mode == ModeProxy {
				o.Proxy = owproxytest.Binary(t)
			}
			s := newServer(t, o)
			body := map[string]any{
				"exec":       map[string]any{"kind": "go:1.24", "code": loopCode(t)},
				"parameters": initParams,
			}
			mustCall(t, s, http.StatusOK, "PUT", "/namespaces/_/actions/loop?overwrite=true", body)
			for _, kv := range [][2]string{{"INIT_TEXT", "s3cr3t"}, {"INIT_NUMBER", "7"}} {
				code, a, r := invokeLoop(t, s, `{"getenv": "`+kv[0]+`"}`)
				if code != 200 || a.Response.Status != "success" {
					t.Fatalf("invoke: %d %+v", code, a)
				}
				if r.Getenv != kv[1] {
					t.Errorf("%s in the action's environment = %q, want %q (environment %q)", kv[0], r.Getenv, kv[1], r.Env)
				}
				if r.Echo != "bound" {
					t.Errorf("bound parameter echo = %v, want bound", r.Echo)
				}
			}
		})
	}
}
