package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/testpeer"
)

func TestZipIsDeterministicAndReadable(t *testing.T) {
	files := []File{{Name: "exec", Data: []byte("#!binary"), Mode: 0o755}, {Name: "exec.env", Data: []byte("x"), Mode: 0o644}}
	a, err := Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Zip(files)
	if CodeHash(a) != CodeHash(b) {
		t.Fatal("the same files gave different archives")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 || zr.File[0].Name != "exec" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("archive holds %v", zr.File)
	}
	rc, _ := zr.File[0].Open()
	data, _ := io.ReadAll(rc)
	if string(data) != "#!binary" {
		t.Fatalf("exec holds %q", data)
	}
}

func TestWorkerBinaryBuildsForOtherArch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	mainPackageOverride = "github.com/overcast-sc/overcast/deploy/testdata/hello"
	defer func() { mainPackageOverride = "" }()
	dir := t.TempDir()
	b, err := WorkerBinary(context.Background(), "arm64", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Built || b.GOARCH != "arm64" || filepath.Dir(b.Path) != dir || b.Note == "" {
		t.Fatalf("WorkerBinary = %+v", b)
	}
	data, err := os.ReadFile(b.Path)
	if err != nil || len(data) < 4 || string(data[1:4]) != "ELF" || data[18] != 0xb7 { // e_machine EM_AARCH64
		t.Fatalf("not a linux/arm64 ELF file (%v)", err)
	}
	if err := Uploadable(b.Path, "arm64"); err != nil {
		t.Errorf("the arm64 worker is not uploadable as arm64: %v", err)
	}
	if err := Uploadable(b.Path, "amd64"); err == nil || !strings.Contains(err.Error(), "built for arm64, not amd64") {
		t.Errorf("Uploadable(arm64 binary, amd64) = %v, want a refusal naming its machine", err)
	}
}

// buildHello builds a small program with the given cgo setting; the
// program imports os/user, which links libc when cgo is on.
func buildHello(t *testing.T, cgo string) string {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os/user\"\n)\n\nfunc main() { u, _ := user.Current(); fmt.Println(u != nil) }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644)
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		if cgo == "1" {
			testpeer.Skip(t, "no cgo build here (a C compiler is needed): %v: %s", err, b)
		}
		t.Fatalf("go build: %v: %s", err, b)
	}
	return out
}

func TestUploadable(t *testing.T) {
	static := buildHello(t, "0")
	if err := Uploadable(static, "amd64"); err != nil {
		t.Errorf("a CGO_ENABLED=0 linux/amd64 build: %v", err)
	}
	dynamic := buildHello(t, "1")
	if err := Uploadable(dynamic, "amd64"); err == nil || !strings.Contains(err.Error(), "dynamically") {
		t.Errorf("a cgo build: %v, want a refusal saying it is linked dynamically", err)
	}
	script := filepath.Join(t.TempDir(), "script")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	if err := Uploadable(script, "amd64"); err == nil {
		t.Error("a shell script is uploadable")
	}
}

// TestCannotBuildIsOneLine checks the error of a binary that is not a
// worker, built where its source is not: one line saying what to do.
func TestCannotBuildIsOneLine(t *testing.T) {
	mainPackageOverride = "github.com/overcast-sc/overcast/cmd/overcast"
	defer func() { mainPackageOverride = "" }()
	t.Setenv("OVERCAST_CACHE", t.TempDir())
	t.Chdir(t.TempDir())
	_, err := WorkerBinary(context.Background(), "arm64", t.TempDir())
	if err == nil {
		t.Fatal("WorkerBinary outside any module: no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "inside the source of github.com/overcast-sc/overcast/cmd/overcast") {
		t.Errorf("error %q: want one line saying where to run deploy", msg)
	}
	why := errors.New("is linked dynamically (built with cgo)")
	msg = cannotBuild("/usr/bin/overcast", why, "amd64", "example.com/x/cmd/x", "v1.2.3", "no source").Error()
	if !strings.Contains(msg, "CGO_ENABLED=0 go install -trimpath -tags lambda.norpc -ldflags=-s example.com/x/cmd/x@v1.2.3") {
		t.Errorf("error %q: want the install command", msg)
	}
}

func TestWorkerBinaryRejectsUnknownArch(t *testing.T) {
	if _, err := WorkerBinary(context.Background(), "mips", t.TempDir()); err == nil {
		t.Fatal("want an error for mips")
	}
}

// TestWorkerBinaryOfDecides checks the choice of the worker for a program
// that deploys itself: a static linux/amd64 executable serves amd64 as it
// is (stripped, never rebuilt); for arm64, where no source is found, the
// error is one line naming the cross build and the architecture the
// binary serves as it is.
func TestWorkerBinaryOfDecides(t *testing.T) {
	hello := buildHello(t, "0")
	dir := t.TempDir()
	b, err := WorkerBinaryOf(context.Background(), hello, "amd64", dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Built || b.GOARCH != "amd64" || Uploadable(b.Path, "amd64") != nil {
		t.Fatalf("WorkerBinaryOf(static amd64, amd64) = %+v, want the binary itself", b)
	}
	orig, _ := os.ReadFile(hello)
	got, _ := os.ReadFile(b.Path)
	if want, _, err := Strip(orig); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the worker is not the program stripped (%v)", err)
	}

	mainPackageOverride = "example.com/nowhere/cmd/x"
	defer func() { mainPackageOverride = "" }()
	t.Setenv("OVERCAST_CACHE", t.TempDir())
	t.Chdir(t.TempDir())
	_, err = WorkerBinaryOf(context.Background(), hello, "arm64", dir)
	if err == nil {
		t.Fatal("WorkerBinaryOf(static amd64, arm64) without source: no error")
	}
	msg := err.Error()
	for _, want := range []string{"is built for amd64, not arm64", "CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build example.com/nowhere/cmd/x",
		"or deploy for linux/amd64, the running binary's own architecture"} {
		if strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
			t.Errorf("error %q: want one line with %q", msg, want)
		}
	}
}
