package sim

import (
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/worker"
)

func TestProcessOvercastBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the overcast binary")
	}
	runSelftests(t, "../cmd/overcast")
}

func TestProcessWorkerPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	runSelftests(t, "./testdata/worker")
}

// runSelftests builds pkg as an action and runs selftest tasks through it
// in process mode.
func runSelftests(t *testing.T, pkg string) {
	code, err := buildZip(t, pkg)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, &Options{Mode: ModeProcess})
	putAction(t, s, "overcast", code, map[string]int{"timeout": 10000})
	tests := []struct {
		name, input string
		code        int
		status      string
		want        string
	}{
		{"echo", `{"n":5}`, 200, "success", `"output":{"n":5,"attempt":1}`},
		{"task error", `{"fail":"nope"}`, 502, "application error", `"message":"nope"`},
		{"exit", `{"exit":3}`, 502, "action developer error", msgAbnormalRun},
		{"after exit", `{"n":6}`, 200, "success", `"output":{"n":6,"attempt":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b, _ := call(t, s, "POST", "/namespaces/_/actions/overcast?blocking=true", echoRequest(t, tt.input))
			a := decode[activation](t, b)
			if c != tt.code || a.Response == nil || a.Response.Status != tt.status || !strings.Contains(string(a.Response.Result), tt.want) {
				t.Fatalf("got %d %s", c, b)
			}
			if tt.code == 200 {
				if _, err := worker.DecodeResponse(a.Response.Result); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
