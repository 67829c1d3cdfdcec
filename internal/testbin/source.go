package testbin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/overcast-sc/overcast/internal/shareddir"
)

// moduleRoot returns the directory of the go.mod above the working
// directory, which go test sets to the package's own.
func moduleRoot() (string, error) {
	root, err := shareddir.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	return root, nil
}

// sourceKey hashes what the build's output depends on: the Go version,
// target, GOFLAGS, main package and build flags, and the name and content
// of go.mod, go.sum and every .go file of the module that is not a test,
// outside testdata, hidden directories and nested modules.
func sourceKey(root, pkg string, args []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s GOFLAGS=%q %q %q\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, os.Getenv("GOFLAGS"), pkg, args)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(root, path, d.Name())
		}
		if !isSource(root, path, d.Name()) {
			return nil
		}
		return hashFile(h, root, path)
	})
	if err != nil {
		return "", fmt.Errorf("testbin: hash the module's sources: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func skipDir(root, path, name string) error {
	if path == root {
		return nil
	}
	if name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return filepath.SkipDir
	}
	if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
		return filepath.SkipDir
	}
	return nil
}

func isSource(root, path, name string) bool {
	if filepath.Dir(path) == root && (name == "go.mod" || name == "go.sum") {
		return true
	}
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
}

// hashFile writes the file's name, size and content to h.
func hashFile(h io.Writer, root, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, path)
	fmt.Fprintf(h, "%s %d\n", rel, fi.Size())
	_, err = io.Copy(h, f)
	return err
}
