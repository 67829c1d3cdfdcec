package openwhisk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeValues(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadLayers checks that later files override earlier ones key by key
// and the units OpenWhisk writes are read.
func TestReadLayers(t *testing.T) {
	a := writeValues(t, "whisk:\n  limits:\n    actionsInvokesConcurrent: 500\n    actions:\n      time: {max: \"10 minutes\"}\n  containerPool: {userMemory: 4g}\n")
	b := writeValues(t, "whisk:\n  limits:\n    actionsInvokesPerminute: \"900\"\n    activation: {payload: {max: 2 MB}}\ninvoker:\n  containerFactory:\n    kubernetes: {replicaCount: 3}\n")
	v, err := Read(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Values{Concurrent: 500, PerMinute: 900, Invokers: 3, UserMemoryMB: 4096,
		MemoryMB: Range{128, 512, 256}, TimeMS: Range{100, 600000, 60000}, PayloadBytes: 2 << 20,
		ContainerFactory: "kubernetes", ControllerReplicas: 1}
	if *v != want {
		t.Errorf("Read = %+v, want %+v", *v, want)
	}
	if got := v.Slots(256); got != 3*16 {
		t.Errorf("Slots(256) = %d, want 48", got)
	}
}

// TestReadDocker checks that the docker factory leaves the invokers
// unknown.
func TestReadDocker(t *testing.T) {
	v, err := Read(writeValues(t, "invoker:\n  containerFactory: {impl: docker}\n"))
	if err != nil || v.Invokers != 0 || v.Slots(256) != 0 {
		t.Errorf("Read = %+v, %v; want no invokers known", v, err)
	}
}

// TestReadBad checks that values a controller would not read fail with
// the key named.
func TestReadBad(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"whisk: {limits: {actionsInvokesConcurrent: -3}}", "actionsInvokesConcurrent"},
		{"whisk: {limits: {actionsInvokesConcurrent: 2.5}}", "actionsInvokesConcurrent"},
		{"whisk: {limits: {actionsInvokesPerminute: lots}}", "actionsInvokesPerminute"},
		{"whisk: {containerPool: {userMemory: 4 parsecs}}", "userMemory"},
		{"whisk: {containerPool: {userMemory: 64m}}", "holds no action"},
		{"whisk: {limits: {actions: {time: {std: 1 fortnight}}}}", "time.std"},
		{"whisk: {limits: {actions: {memory: {std: 1024m}}}}", "min <= std <= max"},
		{"whisk: {limits: [1, 2]}", "actionsInvokesConcurrent"},
		{"invoker: {containerFactory: {impl: podman}}", "kubernetes or docker"},
		{"- a list", "YAML mapping"},
		{"whisk: {limits: {actionsInvokesPerminute: 1200000}}", "1.2e+06"},
	} {
		_, err := Read(writeValues(t, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Read(%q) = %v, want one line naming %q", tc.body, err, tc.want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}
