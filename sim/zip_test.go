package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeZip(t *testing.T) {
	tests := []struct {
		name    string
		entries []zipEntry
		code    string
		wantErr string
	}{
		{"ok", []zipEntry{{name: "exec", data: "x"}, {name: "exec.env", data: "e", mode: 0o644}, {name: "lib/", mode: os.ModeDir | 0o755}, {name: "lib/a", data: "a"}}, "", ""},
		{"no exec", []zipEntry{{name: "main", data: "x"}}, "", "no file named exec"},
		{"exec in a folder", []zipEntry{{name: "bin/exec", data: "x"}}, "", "no file named exec"},
		{"parent path", []zipEntry{{name: "exec", data: "x"}, {name: "../evil", data: "x"}}, "", "outside its root"},
		{"nested parent path", []zipEntry{{name: "exec", data: "x"}, {name: "a/../../evil", data: "x"}}, "", "outside its root"},
		{"absolute path", []zipEntry{{name: "exec", data: "x"}, {name: "/etc/evil", data: "x"}}, "", "unsafe file name"},
		{"backslash", []zipEntry{{name: "exec", data: "x"}, {name: `..\evil`, data: "x"}}, "", "unsafe file name"},
		{"symlink", []zipEntry{{name: "exec", data: "x"}, {name: "link", data: "/etc/passwd", mode: os.ModeSymlink | 0o777}}, "", "link or special file"},
		{"not base64", nil, "%%%", "must be a zip"},
		{"base64 text", nil, "ZnVuY3Rpb24gbWFpbigpIHt9", "must be a zip"},
		{"truncated zip", nil, "UEsDBAo=", "not a valid zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := tt.code
			if code == "" {
				code = zipCode(t, tt.entries...)
			}
			_, err := decodeZip(code)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestExtractZip(t *testing.T) {
	zr, err := decodeZip(zipCode(t, zipEntry{name: "exec", data: "run", mode: 0o644}, zipEntry{name: "d/f", data: "data", mode: 0o644}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := extractZip(zr, dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "exec"))
	if err != nil || st.Mode()&0o100 == 0 {
		t.Errorf("exec not executable: %v %v", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "d", "f")); string(b) != "data" {
		t.Errorf("d/f = %q, %v", b, err)
	}
}
