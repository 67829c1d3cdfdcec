package deploy

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStripKeepsTheProgram strips a Go binary with symbols and DWARF: the
// result is smaller, has neither, keeps its build information and runs
// with the same output; a second Strip finds nothing to do.
func TestStripKeepsTheProgram(t *testing.T) {
	bin := buildHello(t, "0")
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	lean, ok, err := Strip(exe)
	if err != nil || !ok || len(lean) >= len(exe) {
		t.Fatalf("Strip: ok %v, %v, %d -> %d bytes", ok, err, len(exe), len(lean))
	}
	f, err := elf.NewFile(bytes.NewReader(lean))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB || bytes.HasPrefix([]byte(s.Name), []byte(".debug")) || s.Name == ".strtab" {
			t.Errorf("the stripped binary still has %s", s.Name)
		}
	}
	if f.Section(".gopclntab") == nil || f.Section(".shstrtab") == nil {
		t.Errorf("the stripped binary lost .gopclntab or its section names: %v", f.Sections)
	}
	out := filepath.Join(t.TempDir(), "lean")
	if err := os.WriteFile(out, lean, 0o755); err != nil {
		t.Fatal(err)
	}
	if bi, err := buildinfo.ReadFile(out); err != nil || bi.Path != "hello" {
		t.Errorf("build information of the stripped binary: %+v, %v", bi, err)
	}
	want, _ := exec.Command(bin).Output()
	got, err := exec.Command(out).Output()
	if err != nil || string(got) != string(want) || len(want) == 0 {
		t.Errorf("the stripped binary printed %q (%v), the original %q", got, err, want)
	}
	again, ok, err := Strip(lean)
	if ok || err != nil || !bytes.Equal(again, lean) {
		t.Errorf("second Strip: ok %v, %v", ok, err)
	}
	if err := Uploadable(out, "amd64"); err != nil {
		t.Errorf("the stripped binary is not uploadable: %v", err)
	}
}

func TestStripRefusesNonELF(t *testing.T) {
	in := []byte("#!/bin/sh\necho hi\n")
	out, ok, err := Strip(in)
	if err == nil || ok || !bytes.Equal(out, in) {
		t.Errorf("Strip(script) = ok %v, %v", ok, err)
	}
}
