package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
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
	MainPackage = "github.com/overcast-sc/overcast/cmd/overcast"
	defer func() { MainPackage = "" }()
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
}

func TestWorkerBinaryRejectsUnknownArch(t *testing.T) {
	if _, err := WorkerBinary(context.Background(), "mips", t.TempDir()); err == nil {
		t.Fatal("want an error for mips")
	}
}
