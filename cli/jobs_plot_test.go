package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJobsPlotAndCost(t *testing.T) {
	env, _ := homeEnv(t)
	out, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e7", "--tasks", "40", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	id := decode[result](t, out, "run").JobID
	prefix := filepath.Join(t.TempDir(), "job")
	out, stderr, code = binIn(t, env, "jobs", "plot", id, "--out", prefix)
	if code != 0 || !strings.Contains(out, "job-timeline.png") {
		t.Fatalf("plot: exit %d, %s %s", code, out, stderr)
	}
	for _, f := range []string{prefix + "-timeline.png", prefix + "-durations.png"} {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Fatalf("%s is not a PNG: %v", f, err)
		}
	}
	out, _, _ = binIn(t, env, "jobs", "show", id)
	if !strings.Contains(out, "cost ") || !strings.Contains(out, "AWS Lambda arm64 $") {
		t.Fatalf("jobs show lacks the cost estimate:\n%s", out)
	}
	if _, _, code := binIn(t, env, "jobs", "plot", id, "--format", "gif"); code != 2 {
		t.Fatalf("--format gif: exit %d, want 2", code)
	}
	if _, _, code := binIn(t, env, "jobs", "plot", "20990101-000000-abcdef"); code == 0 {
		t.Fatal("plot of an unknown job succeeded")
	}
}
