package owproxy

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/testpeer"
)

func TestSource(t *testing.T) {
	t.Setenv(SourceEnv, "/somewhere/runtime-go")
	if got, err := Source(); got != "/somewhere/runtime-go" || err != nil {
		t.Errorf("Source with %s set = %q, %v", SourceEnv, got, err)
	}
	t.Setenv(SourceEnv, "")
	got, err := Source()
	root, _ := filepath.Abs("../..")
	if want := filepath.Join(filepath.Dir(root), "shared", "openwhisk", "runtime-go"); got != want || err != nil {
		t.Errorf("Source = %q, %v; want %q, beside the module root", got, err, want)
	}
}

func TestTreeHashSeesEdits(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	h1, err := treeHash(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("y"), 0o644)
	h2, _ := treeHash(dir)
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package b"), 0o644)
	h3, _ := treeHash(dir)
	if h1 != h2 || h2 == h3 {
		t.Errorf("hashes %s %s %s: want the .go edit, and only it, to change the hash", h1[:8], h2[:8], h3[:8])
	}
}

// TestStartInitRun starts the real proxy, refuses a second /init as it
// does, and answers a /run before /init with its own error.
func TestStartInitRun(t *testing.T) {
	bin, err := Build()
	if err != nil {
		testpeer.Skip(t, "Apache's OpenWhisk Go proxy: %v", err)
	}
	dir := t.TempDir()
	stdout, _ := os.Create(filepath.Join(dir, "stdout"))
	stderr, _ := os.Create(filepath.Join(dir, "stderr"))
	defer stdout.Close()
	defer stderr.Close()
	p, err := Start(bin, Config{ExecEnv: "openwhisk/action-golang-v1.24", Dir: dir, Stdout: stdout, Stderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") || p.LogStart == 0 {
		t.Errorf("URL %q, LogStart %d", p.URL(), p.LogStart)
	}
	run, _ := RunBody([]byte(`{}`), Activation{})
	status, answer, _, err := p.Run(context.Background(), run, 1000)
	if err != nil || status != http.StatusInternalServerError || !strings.Contains(string(answer), "no action defined yet") {
		t.Errorf("/run before /init: %d %s %v", status, answer, err)
	}
	status, answer, err = p.Init(context.Background(), InitBody("a", "", "", true, nil))
	if err != nil || status != http.StatusForbidden {
		t.Errorf("/init without code: %d %s %v", status, answer, err)
	}
	p.Kill()
	select {
	case <-p.Exited():
	default:
		t.Error("Exited not closed after Kill")
	}
}
