package shareddir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	want, _ := filepath.Abs("../..")
	if root != want || err != nil {
		t.Errorf("ModuleRoot = %q, %v; want %q", root, err, want)
	}
	t.Chdir(t.TempDir())
	if root, err := ModuleRoot(); err == nil {
		t.Errorf("ModuleRoot outside a module = %q, want an error", root)
	}
}

func TestDir(t *testing.T) {
	t.Setenv(Env, "")
	root, _ := filepath.Abs("../..")
	want := filepath.Join(filepath.Dir(root), "shared")
	if got, err := Dir(); got != want || err != nil {
		t.Errorf("Dir = %q, %v; want %q, beside the module root", got, err, want)
	}
	if got, err := Path("openwhisk", "runtimes.json"); got != filepath.Join(want, "openwhisk", "runtimes.json") || err != nil {
		t.Errorf("Path = %q, %v", got, err)
	}
	t.Setenv(Env, "/somewhere/shared")
	if got, err := Path("openwhisk"); got != "/somewhere/shared/openwhisk" || err != nil {
		t.Errorf("Path with %s set = %q, %v", Env, got, err)
	}
	t.Setenv(Env, "")
	t.Chdir(t.TempDir())
	if got, err := Dir(); err == nil {
		t.Errorf("Dir outside a module without %s = %q, want an error", Env, got)
	}
}

func TestNeed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "here"), nil, 0o644)
	t.Setenv(Env, dir)
	if got := Need(t, "here"); got != filepath.Join(dir, "here") {
		t.Errorf("Need = %q, want %q", got, filepath.Join(dir, "here"))
	}
	for _, required := range []string{"", "1"} {
		t.Setenv("REQUIRE_PEERS", required)
		r := &recorder{TB: t}
		Need(r, "missing")
		if r.skipped != (required == "") || r.failed != (required == "1") {
			t.Errorf("REQUIRE_PEERS=%q, a missing file: skipped %v, failed %v", required, r.skipped, r.failed)
		}
	}
}

// recorder notes a skip or a failure instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
