// Package deploy prepares the worker code that serverless platforms run:
// the overcast binary itself (or the user's binary that calls cli.Main),
// statically linked for linux and the platform's architecture, packed in a
// zip archive. When the running binary is not such a binary, Binary builds
// one with the Go toolchain, as ko does: CGO_ENABLED=0, -trimpath and an
// explicit GOOS and GOARCH.
package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Binary is a worker executable ready to pack.
type Binary struct {
	// Path is the executable's file.
	Path string
	// GOARCH is its architecture.
	GOARCH string
	// Built is true when Binary ran the toolchain (the running binary did
	// not match); Note then says so for the user.
	Built bool
	Note  string
}

// ErrNoToolchain is returned when a cross build is needed and no go
// command is found.
var ErrNoToolchain = errors.New("the running binary is not a linux worker and no Go toolchain (go) is on PATH to build one; run overcast from a linux binary of the platform's architecture or install Go")

// WorkerBinary returns a linux binary for goarch ("amd64" or "arm64") that
// serves this program's tasks: the running executable when it is one
// (linux, same arch, statically linked), otherwise a fresh build of the
// running program's main package into dir.
func WorkerBinary(ctx context.Context, goarch, dir string) (*Binary, error) {
	if goarch != "amd64" && goarch != "arm64" {
		return nil, fmt.Errorf("unsupported architecture %q (amd64 or arm64)", goarch)
	}
	self, err := os.Executable()
	if err == nil && runtime.GOOS == "linux" && runtime.GOARCH == goarch && static() && !isTestBinary(self) {
		return &Binary{Path: self, GOARCH: goarch}, nil
	}
	cached, key := cachedBuild(self, goarch)
	if cached != "" {
		return &Binary{Path: cached, GOARCH: goarch, Note: fmt.Sprintf("using the worker built earlier for linux/%s (%s)", goarch, cached)}, nil
	}
	b, err := build(ctx, goarch, dir)
	if err == nil && key != "" {
		storeBuild(b.Path, key)
	}
	return b, err
}

// cacheDir holds workers built for running binaries that could not serve
// as workers themselves, keyed by the running binary's SHA-256 (and the
// target arch), so that each such binary is cross-built once.
func cacheDir() string {
	if d := os.Getenv("OVERCAST_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "overcast", "workers")
}

// cachedBuild returns the cached worker for the running binary, if any,
// and the cache key to store one under. Test binaries are never cached.
func cachedBuild(self, goarch string) (path, key string) {
	dir := cacheDir()
	if dir == "" || self == "" || isTestBinary(self) || MainPackage != "" {
		return "", ""
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return "", ""
	}
	key = filepath.Join(dir, CodeHash(data)[:32]+"-linux-"+goarch)
	if fi, err := os.Stat(key); err == nil && fi.Mode().IsRegular() {
		return key, key
	}
	return "", key
}

func storeBuild(built, key string) {
	data, err := os.ReadFile(built)
	if err != nil || os.MkdirAll(filepath.Dir(key), 0o755) != nil {
		return
	}
	tmp := key + ".tmp"
	if os.WriteFile(tmp, data, 0o755) == nil {
		_ = os.Rename(tmp, key)
	}
}

// static reports whether the running binary was built without cgo.
func static() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" {
			return s.Value == "0"
		}
	}
	return false
}

func isTestBinary(path string) bool {
	return strings.HasSuffix(path, ".test") || strings.Contains(path, "/go-build")
}

// MainPackage is the package Build compiles; empty means the running
// program's main package. Tests set it to build the overcast command.
var MainPackage = ""

func build(ctx context.Context, goarch, dir string) (*Binary, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return nil, ErrNoToolchain
	}
	pkg := MainPackage
	if pkg == "" {
		bi, ok := debug.ReadBuildInfo()
		if !ok || bi.Path == "" || strings.HasSuffix(bi.Path, ".test") {
			return nil, errors.New("cannot tell the running program's main package to build a worker; set deploy.MainPackage")
		}
		pkg = bi.Path
	}
	out := filepath.Join(dir, fmt.Sprintf("overcast-worker-linux-%s", goarch))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build worker for linux/%s: %v: %s", goarch, err, strings.TrimSpace(stderr.String()))
	}
	return &Binary{Path: out, GOARCH: goarch, Built: true,
		Note: fmt.Sprintf("built the worker for linux/%s with go build (CGO_ENABLED=0 -trimpath)", goarch)}, nil
}

// File is one entry of an archive.
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
}

// Zip packs files into a zip archive with fixed timestamps, so the same
// files always give the same bytes (and the same CodeHash).
func Zip(files []File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(f.Mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CodeHash returns the hex SHA-256 of an archive.
func CodeHash(archive []byte) string {
	sum := sha256.Sum256(archive)
	return hex.EncodeToString(sum[:])
}
