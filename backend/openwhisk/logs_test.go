package openwhisk

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/sim"
)

func TestLogTail(t *testing.T) {
	const ts = "2026-11-29T23:59:59.123456789Z "
	notice := ts + "stderr: The action did not initialize or run as expected. Log data might be missing."
	frames := []string{ts + "stderr: goroutine 1 [running]:", ts + "stderr: main.main()", ts + "stderr: \t/src/main.go:9 +0x1",
		ts + "stderr: exit status 2", ts + "stderr: more", ts + "stderr: end"}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"none", nil, []string{}},
		{"only the notice", []string{notice}, []string{}},
		{"short", []string{ts + "stdout: a", "2026-11-29T23:59:59.1Z        stderr: b", notice}, []string{"stdout: a", "stderr: b"}},
		{"last five", append([]string{ts + "stdout: early"}, frames...), []string{"stderr: main.main()", "stderr: \t/src/main.go:9 +0x1", "stderr: exit status 2", "stderr: more", "stderr: end"}},
		{"headline first", append([]string{ts + "stderr: panic: boom"}, append(frames, notice)...),
			[]string{"stderr: panic: boom", "stderr: \t/src/main.go:9 +0x1", "stderr: exit status 2", "stderr: more", "stderr: end"}},
		{"cut", []string{ts + "stdout: " + strings.Repeat("x", 300)}, []string{"stdout: " + strings.Repeat("x", crashLogWidth-len("stdout: ")) + "..."}},
	}
	for _, tt := range tests {
		if got := logTail(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: logTail = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestCrashLogsOnSim runs an action whose process writes a line and dies:
// the task's error quotes what it wrote, from the activation's logs.
func TestCrashLogsOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "exec"), "../../sim/testdata/loop")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test action: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(filepath.Join(dir, "exec"))
	if err != nil {
		t.Fatal(err)
	}
	_, o := startSim(t, &sim.Options{Mode: sim.ModeProcess}, Options{})
	d, err := Open(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.buildArchive = func(ctx context.Context, k *kind) ([]byte, string, error) {
		zip, err := deploy.Zip([]deploy.File{{Name: "exec", Data: exe, Mode: 0o755}, {Name: "exec.env", Data: []byte(k.execEnv), Mode: 0o644}})
		return zip, "", err
	}
	if _, err := d.Deploy(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = d.Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{"log":"fatal error: out of luck","exit":2}`)})
	var te *TaskError
	if !errors.As(err, &te) || te.Code != driver.Crashed ||
		!reflect.DeepEqual(te.Logs, []string{"stdout: fatal error: out of luck", "stderr: err: fatal error: out of luck"}) ||
		!strings.Contains(err.Error(), "last logs: stdout: fatal error: out of luck | stderr: err: fatal error: out of luck") {
		t.Fatalf("Invoke of a crashing action: %v", err)
	}
}
