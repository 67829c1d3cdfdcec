package sim

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Bounds on an action's zip.
const (
	maxZipFiles     = 10000
	maxExtractBytes = 512 << 20
)

// decodeZip reads an action's code: standard base64 of a zip. It checks
// every entry (no absolute or parent paths, no links, bounded sizes) and
// that an executable named exec sits at the top level.
func decodeZip(code string) (*zip.Reader, error) {
	raw, err := base64.StdEncoding.DecodeString(code)
	if err != nil || !bytes.HasPrefix(raw, []byte("PK")) {
		return nil, errors.New("the action code must be a zip file (standard base64) holding an executable named exec")
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, fmt.Errorf("the action code is not a valid zip file: %v", err)
	}
	if len(zr.File) > maxZipFiles {
		return nil, fmt.Errorf("the action zip holds %d files, more than %d", len(zr.File), maxZipFiles)
	}
	var total uint64
	hasExec := false
	for _, f := range zr.File {
		if err := checkZipEntry(f); err != nil {
			return nil, err
		}
		total += f.UncompressedSize64
		if f.Name == "exec" && f.Mode().IsRegular() {
			hasExec = true
		}
	}
	if total > maxExtractBytes {
		return nil, fmt.Errorf("the action zip expands to more than %d bytes", maxExtractBytes)
	}
	if !hasExec {
		return nil, errors.New("the action zip has no file named exec at its top level")
	}
	return zr, nil
}

func checkZipEntry(f *zip.File) error {
	name := f.Name
	switch {
	case name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || strings.Contains(name, ":"):
		return fmt.Errorf("the action zip holds an unsafe file name %q", name)
	case path.Clean(name) == ".." || strings.HasPrefix(path.Clean(name), "../") || path.IsAbs(path.Clean(name)):
		return fmt.Errorf("the action zip holds a file outside its root: %q", name)
	case f.Mode()&(os.ModeSymlink|os.ModeDevice|os.ModeNamedPipe|os.ModeSocket|os.ModeCharDevice) != 0:
		return fmt.Errorf("the action zip holds a link or special file: %q", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("the action zip holds a file outside its root: %q", name)
		}
	}
	return nil
}

// extractZip writes zr's files under dir, bounding the bytes it writes
// whatever the headers say. exec is made executable.
func extractZip(zr *zip.Reader, dir string) error {
	budget := int64(maxExtractBytes)
	for _, f := range zr.File {
		target := filepath.Join(dir, filepath.FromSlash(path.Clean(f.Name)))
		if !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			return fmt.Errorf("the action zip holds a file outside its root: %q", f.Name)
		}
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		}
		n, err := extractFile(f, target, budget)
		if err != nil {
			return err
		}
		budget -= n
	}
	return os.Chmod(filepath.Join(dir, "exec"), 0o755)
}

func extractFile(f *zip.File, target string, budget int64) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, err
	}
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("open %s in the action zip: %w", f.Name, err)
	}
	defer rc.Close()
	mode := os.FileMode(0o644)
	if f.Mode()&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = fmt.Errorf("the action zip expands to more than %d bytes", maxExtractBytes)
	}
	return n, err
}
