package sim

import (
	"os"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/worker"
)

func TestProcessOvercastBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the overcast binary")
	}
	runSelftests(t, overcastCode(t))
}

func TestProcessWorkerPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	code, err := buildZip(t, "./testdata/worker")
	if err != nil {
		t.Fatal(err)
	}
	runSelftests(t, code)
}

// overcastCode returns the overcast command, built once for all test
// packages (see internal/testbin), zipped as buildZip zips a program.
func overcastCode(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(testbin.Overcast(t))
	if err != nil {
		t.Fatal(err)
	}
	return zipCode(t, zipEntry{name: "exec", data: string(b)}, zipEntry{name: "exec.env", data: "openwhisk/action-golang-v1.24", mode: 0o644})
}

// runSelftests runs selftest tasks through the action code in process
// mode.
func runSelftests(t *testing.T, code string) {
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
