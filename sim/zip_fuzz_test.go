package sim

import (
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzZip feeds arbitrary bytes as an action's zip. Whatever decodeZip
// accepts, extractZip must unpack inside its folder only (nothing written
// beside it), as plain files and folders, within the size bound, and with
// an executable exec when it succeeds. Errors are one line.
func FuzzZip(f *testing.F) {
	for _, code := range []string{
		dummyZip(f),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "lib/", mode: fs.ModeDir | 0o755}, zipEntry{name: "lib/a", data: "a", mode: 0o644}),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "../evil", data: "x"}),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "a/../../evil", data: "x"}),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "./", mode: fs.ModeDir | 0o755}),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "exec", data: "y"}),
		zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "d", data: "x"}, zipEntry{name: "d/e", data: "x"}),
		zipCode(f, zipEntry{name: "exec", data: "/etc/passwd", mode: 0o777 | fs.ModeSymlink}),
		zipCode(f, zipEntry{name: "exec/", mode: fs.ModeDir | 0o755}),
		zipCode(f, zipEntry{name: "exec", data: strings.Repeat("0", 100000)}),
	} {
		raw, _ := base64.StdEncoding.DecodeString(code)
		f.Add(raw)
	}
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		zr, err := decodeZip(base64.StdEncoding.EncodeToString(raw))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("decodeZip error is not one line: %q", err)
			}
			return
		}
		top := t.TempDir()
		dir := filepath.Join(top, "action")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		err = extractZip(zr, dir)
		var total int64
		filepath.WalkDir(top, func(p string, d fs.DirEntry, werr error) error {
			if werr != nil || p == top || p == dir {
				return werr
			}
			if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("extractZip wrote %s outside %s", p, dir)
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				t.Fatalf("extractZip made %s a %v", p, d.Type())
			}
			if info, err := d.Info(); err == nil && !d.IsDir() {
				total += info.Size()
			}
			return nil
		})
		if total > maxExtractBytes {
			t.Fatalf("extractZip wrote %d bytes, over the %d bound", total, maxExtractBytes)
		}
		if err == nil {
			if st, serr := os.Stat(filepath.Join(dir, "exec")); serr != nil || !st.Mode().IsRegular() || st.Mode()&0o100 == 0 {
				t.Fatalf("extractZip succeeded without an executable exec: %v %v", st, serr)
			}
		}
	})
}
