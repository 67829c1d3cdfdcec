// Package deploy prepares the worker code that serverless platforms run:
// the overcast binary itself (or the user's binary that calls cli.Main),
// packed in a zip archive. The running binary is uploaded when it is a
// statically linked linux executable of the platform's architecture
// (Uploadable), without its symbols and debug information (Strip);
// otherwise WorkerBinary builds one with the Go toolchain,
// as ko does: CGO_ENABLED=0, -trimpath, no symbols, and an explicit GOOS
// and GOARCH. That build needs the main package's source, so outside it
// WorkerBinary fails with one line that says how to install a binary that
// deploys itself from anywhere.
package deploy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// ErrNoToolchain is returned when a worker must be built and no go
// command is found.
var ErrNoToolchain = errors.New("no Go toolchain (go) is on PATH to build a worker")

// WorkerBinary returns a linux binary for goarch ("amd64" or "arm64") that
// serves this program's tasks: the running executable when it is one
// (see Uploadable; stripped of symbols and debug information when it has
// them), otherwise one cached or freshly built from the running
// program's main package into dir, which needs the go command and that
// package's source (the current directory inside its module). When
// neither works, the error is one line that says what to do.
func WorkerBinary(ctx context.Context, goarch, dir string) (*Binary, error) {
	if err := checkArch(goarch); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the running binary: %w", err)
	}
	return WorkerBinaryOf(ctx, self, goarch, dir)
}

// WorkerBinaryOf decides as WorkerBinary does, with the executable at
// self standing for the running one: self itself (stripped) when it is a
// linux/goarch worker (Uploadable), else a cached build, else a build of
// the running program's main package, else a one-line error naming the
// build to run. Platforms whose architecture a program picks (Lambda's
// arm64 or x86_64) test their choice with it.
func WorkerBinaryOf(ctx context.Context, self, goarch, dir string) (*Binary, error) {
	if err := checkArch(goarch); err != nil {
		return nil, err
	}
	why := Uploadable(self, goarch)
	if why == nil && !isTestBinary(self) {
		return selfWorker(self, goarch, dir)
	}
	if why == nil {
		why = errors.New("is a test binary")
	}
	cached, key := cachedBuild(self, goarch)
	if cached != "" {
		return &Binary{Path: cached, GOARCH: goarch, Note: fmt.Sprintf("using the worker built earlier for linux/%s (%s)", goarch, cached)}, nil
	}
	b, err := build(ctx, goarch, dir, self, why)
	if err == nil && key != "" {
		storeBuild(b.Path, key)
	}
	return b, err
}

// Prebuilt returns the executable at path as the worker for linux/goarch,
// for a program that deploys a worker built apart instead of itself (the
// Worker option of the OpenWhisk and Lambda backends). It fails with one
// line when the executable cannot serve there (see Uploadable).
func Prebuilt(path, goarch string) (*Binary, error) {
	if err := checkArch(goarch); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if err := Uploadable(path, goarch); err != nil {
		return nil, fmt.Errorf("worker %s %v; build it with CGO_ENABLED=0 GOOS=linux GOARCH=%s", path, err, goarch)
	}
	return &Binary{Path: path, GOARCH: goarch}, nil
}

// checkArch checks a worker architecture.
func checkArch(goarch string) error {
	if goarch != "amd64" && goarch != "arm64" {
		return fmt.Errorf("unsupported architecture %q (amd64 or arm64)", goarch)
	}
	return nil
}

// selfWorker returns the running binary as the worker: itself, or a copy
// in dir without symbols and debug information when it has them (Strip).
func selfWorker(self, goarch, dir string) (*Binary, error) {
	exe, err := os.ReadFile(self)
	if err != nil {
		return nil, fmt.Errorf("read the running binary: %w", err)
	}
	lean, ok, err := Strip(exe)
	if err != nil || !ok {
		return &Binary{Path: self, GOARCH: goarch}, nil
	}
	out := filepath.Join(dir, "overcast-worker-linux-"+goarch)
	if err := os.WriteFile(out, lean, 0o755); err != nil {
		return nil, fmt.Errorf("write the worker: %w", err)
	}
	return &Binary{Path: out, GOARCH: goarch}, nil
}

// Uploadable returns nil when the executable at path can run as a worker
// on linux/goarch as it is: a 64-bit ELF executable for that machine and
// statically linked (no program interpreter, as CGO_ENABLED=0 builds
// are). Otherwise its error says why not, as a phrase ("is linked
// dynamically ...").
func Uploadable(path, goarch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return errors.New("is not a linux (ELF) executable")
	}
	defer f.Close()
	arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
	switch {
	case f.Class != elf.ELFCLASS64 || arch != goarch:
		if arch == "" {
			arch = f.Machine.String()
		}
		return fmt.Errorf("is built for %s, not %s", arch, goarch)
	case f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX:
		return fmt.Errorf("is built for %s, not linux", f.OSABI)
	case f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN:
		return fmt.Errorf("is an ELF %s, not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("is linked dynamically (built with cgo)")
		}
	}
	return nil
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
	if dir == "" || self == "" || isTestBinary(self) || mainPackageOverride != "" {
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

func isTestBinary(path string) bool {
	return strings.HasSuffix(path, ".test") || strings.Contains(path, "/go-build")
}

// mainPackageOverride is the package a worker build compiles instead of
// the running program's main package; the package's tests set it to build
// a command of their choice from a test binary.
var mainPackageOverride = ""

// BuildFlags are the go build flags of a worker, after "go build" (cgo is
// turned off in the environment): no local paths, no version control
// stamp, no symbols or debug information, and without the Lambda library's
// net/rpc mode (only the retired go1.x runtime used it), which alone adds
// a fifth to the binary. They halve the zip and its cold start (see
// BENCHMARKS.md).
var BuildFlags = []string{"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w"}

// build compiles the main package for linux/goarch into dir. self is the
// running binary and why says why it cannot serve, for the error.
func build(ctx context.Context, goarch, dir, self string, why error) (*Binary, error) {
	pkg, version := mainPackage()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return nil, cannotBuild(self, why, goarch, pkg, version, ErrNoToolchain.Error())
	}
	if pkg == "" {
		return nil, cannotBuild(self, why, goarch, "", version, "the running program does not name its main package")
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if err := findSource(ctx, gocmd, pkg, env); err != nil {
		return nil, cannotBuild(self, why, goarch, pkg, version, err.Error())
	}
	out := filepath.Join(dir, fmt.Sprintf("overcast-worker-linux-%s", goarch))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	args := append(append([]string{"build"}, BuildFlags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, gocmd, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build worker for linux/%s: %v: %s", goarch, err, strings.TrimSpace(stderr.String()))
	}
	return &Binary{Path: out, GOARCH: goarch, Built: true,
		Note: fmt.Sprintf("built the worker for linux/%s with go build (CGO_ENABLED=0 -trimpath), as the running binary %s", goarch, why)}, nil
}

// mainPackage returns the package to build (mainPackageOverride, else the running
// program's main package) and the running program's module version.
func mainPackage() (pkg, version string) {
	bi, ok := debug.ReadBuildInfo()
	if ok {
		version = bi.Main.Version
	}
	if mainPackageOverride != "" {
		return mainPackageOverride, version
	}
	if !ok || strings.HasSuffix(bi.Path, ".test") {
		return "", version
	}
	return bi.Path, version
}

// findSource checks that the go command finds pkg's source from the
// current directory, quickly and with a one-line error.
func findSource(ctx context.Context, gocmd, pkg string, env []string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "list", "-find", "-f", "{{.Dir}}", pkg)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		wd, _ := os.Getwd()
		return fmt.Errorf("no Go source of it is found from %s", wd)
	}
	return nil
}

// cannotBuild is the one-line error when no worker can be had: what the
// running binary is, why no build, and what to do.
func cannotBuild(self string, why error, goarch, pkg, version, reason string) error {
	if version == "" || version == "(devel)" {
		version = "latest"
	}
	name, arg := pkg, pkg
	if pkg == "" {
		name, arg = "its main package", "MAIN-PACKAGE"
	}
	fix := fmt.Sprintf("run deploy (or the program) from inside the source of %s (its Go module) to cross-build the worker (CGO_ENABLED=0 GOOS=linux GOARCH=%s go build %s)", name, goarch, arg)
	if other := otherArch(self, goarch); other != "" {
		fix += fmt.Sprintf("; or deploy for linux/%s, the running binary's own architecture, which it serves as it is", other)
	}
	if strings.Contains(why.Error(), "dynamically") {
		fix = fmt.Sprintf("reinstall overcast statically linked, e.g. CGO_ENABLED=0 go install -trimpath -tags lambda.norpc -ldflags=-s %s@%s, and it deploys itself from any directory; or %s",
			arg, version, fix)
	}
	return fmt.Errorf("cannot deploy: the running binary %s %s, so it cannot run as the linux/%s worker, and it cannot be rebuilt (%s): %s",
		self, why, goarch, reason, fix)
}

// otherArch returns the architecture other than goarch that the
// executable at self serves as a worker as it is, or "".
func otherArch(self, goarch string) string {
	for _, a := range []string{"amd64", "arm64"} {
		if a != goarch && self != "" && Uploadable(self, a) == nil {
			return a
		}
	}
	return ""
}

// File is one entry of an archive.
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
}

// ZipLevel is the deflate level of Zip. The default level gives an
// archive within 1% of the best level's at a fraction of its time (see
// BENCHMARKS.md), and every deploy packs the archive anew to compare it.
const ZipLevel = flate.DefaultCompression

// Zip packs files into a zip archive with fixed timestamps, so the same
// files always give the same bytes (and the same CodeHash).
func Zip(files []File) ([]byte, error) {
	return zipLevel(files, ZipLevel)
}

// zipLevel is Zip at a given deflate level.
func zipLevel(files []File, level int) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, level) })
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
