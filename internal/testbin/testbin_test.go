package testbin

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// writeModule lays out a tiny module with a main package in dir.
func writeModule(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var tinyModule = map[string]string{
	"go.mod":              "module example.com/tiny\n\ngo 1.22\n",
	"cmd/tiny/main.go":    "package main\n\nfunc main() { println(\"tiny\") }\n",
	"lib/lib.go":          "package lib\n\nconst A = 1\n",
	"lib/lib_test.go":     "package lib\n",
	"lib/testdata/x.go":   "package x\n",
	".hidden/y.go":        "package y\n",
	"nested/go.mod":       "module example.com/nested\n",
	"nested/z.go":         "package z\n",
	"lib/notes.txt":       "not a source\n",
	"cmd/tiny/README.md":  "# tiny\n",
	"lib/internal/i.go":   "package internal\n",
	"_skipped/skipped.go": "package skipped\n",
}

func key(t *testing.T, root string) string {
	t.Helper()
	k, err := sourceKey(root, "./cmd/tiny", []string{"-o"})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSourceKey(t *testing.T) {
	root := t.TempDir()
	writeModule(t, root, tinyModule)
	base := key(t, root)
	for _, tc := range []struct {
		file, data string
		changes    bool
	}{
		{"lib/lib.go", "package lib\n\nconst A = 2\n", true},
		{"lib/internal/i.go", "package internal // changed\n", true},
		{"go.mod", "module example.com/tiny\n\ngo 1.23\n", true},
		{"go.sum", "example.com/dep v1.0.0 h1:x=\n", true},
		{"lib/new.go", "package lib\n", true},
		{"lib/lib_test.go", "package lib // changed\n", false},
		{"lib/testdata/x.go", "package x // changed\n", false},
		{".hidden/y.go", "package y // changed\n", false},
		{"nested/z.go", "package z // changed\n", false},
		{"_skipped/skipped.go", "package skipped // changed\n", false},
		{"lib/notes.txt", "changed\n", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join(root, tc.file)
			old, had := os.ReadFile(p)
			writeModule(t, root, map[string]string{tc.file: tc.data})
			defer func() {
				if had == nil {
					os.WriteFile(p, old, 0o644)
				} else {
					os.Remove(p)
				}
			}()
			if got := key(t, root) != base; got != tc.changes {
				t.Errorf("editing %s changed the key: %v, want %v", tc.file, got, tc.changes)
			}
		})
	}
	if key(t, root) != base {
		t.Fatal("restoring the files did not restore the key")
	}
	k, err := sourceKey(root, "./cmd/tiny", []string{"-tags", "x", "-o"})
	if err != nil || k == base {
		t.Errorf("other build flags gave the same key (%v)", err)
	}
}

// TestSharedBuildsOnce asks for the same program from several callers at
// once, as concurrent test packages do, then again after a source change.
func TestSharedBuildsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root, dir := t.TempDir(), t.TempDir()
	writeModule(t, root, tinyModule)
	before := builds.Load()
	paths := make([]string, 4)
	var wg sync.WaitGroup
	for i := range paths {
		wg.Go(func() {
			p := &program{name: "tiny", pkg: "./cmd/tiny", args: []string{"-o"}}
			bin, err := p.shared(root, dir)
			if err != nil {
				t.Error(err)
			}
			paths[i] = bin
		})
	}
	wg.Wait()
	if n := builds.Load() - before; n != 1 {
		t.Fatalf("%d builds for 4 callers of one source tree, want 1", n)
	}
	for _, p := range paths[1:] {
		if p != paths[0] {
			t.Fatalf("callers got different binaries: %q", paths)
		}
	}
	if fi, err := os.Stat(paths[0]); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("no executable at %s (%v)", paths[0], err)
	}

	writeModule(t, root, map[string]string{"lib/lib.go": "package lib\n\nconst A = 3\n"})
	p := &program{name: "tiny", pkg: "./cmd/tiny", args: []string{"-o"}}
	bin, err := p.shared(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := builds.Load() - before; n != 2 || bin == paths[0] {
		t.Fatalf("after a source change: %d builds in all, binary %s (was %s); want a second build at a new path", n, bin, paths[0])
	}
}

func TestBuildFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root, dir := t.TempDir(), t.TempDir()
	writeModule(t, root, tinyModule)
	writeModule(t, root, map[string]string{"cmd/tiny/main.go": "package main\n\nfunc main() { undefined() }\n"})
	p := &program{name: "tiny", pkg: "./cmd/tiny", args: []string{"-o"}}
	if bin, err := p.shared(root, dir); err == nil {
		t.Fatalf("a broken program built: %s", bin)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".lock" {
			t.Errorf("a failed build left %s behind", e.Name())
		}
	}
}

func TestPrebuilt(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "overcast")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  string
		want string
		ok   bool
	}{
		{exe, exe, true},
		{plain, "", false},
		{filepath.Join(dir, "missing"), "", false},
		{dir, "", false},
	} {
		t.Setenv("OVERCAST_TEST_BIN", tc.env)
		p := &program{name: "overcast", pkg: "./cmd/overcast", args: []string{"-o"}}
		got, err := p.path()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("OVERCAST_TEST_BIN=%s: %q, %v", tc.env, got, err)
		}
	}
}

func TestCompileFlags(t *testing.T) {
	got := compileFlags([]string{"-trimpath", "-ldflags=-s -w", "-tags", "x", "-ldflags", "-s", "-buildvcs=false"})
	want := []string{"-trimpath", "-tags", "x", "-buildvcs=false"}
	if !slices.Equal(got, want) {
		t.Errorf("compileFlags = %q, want %q", got, want)
	}
}
