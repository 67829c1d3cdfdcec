package deploy_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/internal/testbin"
)

// TestPrebuilt takes a worker built apart as it is, and refuses, in one
// line that says how to build one, a file that is no linux executable and
// a worker of another architecture.
func TestPrebuilt(t *testing.T) {
	worker := testbin.Bootstrap(t)
	b, err := deploy.Prebuilt(worker, runtime.GOARCH)
	if err != nil || b.Path != worker || b.GOARCH != runtime.GOARCH || b.Built {
		t.Fatalf("Prebuilt(%s): %+v, %v; want it as it is", worker, b, err)
	}
	script := filepath.Join(t.TempDir(), "worker.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	for _, c := range []struct{ path, goarch, says string }{
		{script, runtime.GOARCH, "is not a linux (ELF) executable"},
		{worker, other, "is built for " + runtime.GOARCH + ", not " + other},
	} {
		_, err := deploy.Prebuilt(c.path, c.goarch)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "CGO_ENABLED=0") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Prebuilt(%s, %s): %v; want one line saying it %s", c.path, c.goarch, err, c.says)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := deploy.Prebuilt(missing, runtime.GOARCH); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Prebuilt of a missing file: %v, want it to say so", err)
	}
}
