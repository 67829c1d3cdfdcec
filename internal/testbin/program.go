package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// staleAfter is how long a shared binary may go unused before a build
// removes it.
const staleAfter = 48 * time.Hour

// builds counts the go builds this process ran, for tests.
var builds atomic.Int64

// program is one build of the overcast command, made at most once per
// process.
type program struct {
	name string
	pkg  string   // the main package, relative to the module's root
	args []string // go build's flags, ending in -o
	own  bool     // not the overcast command: OVERCAST_TEST_BIN does not replace it

	once sync.Once
	bin  string
	err  error
}

func (p *program) path() (string, error) {
	p.once.Do(func() {
		if bin := os.Getenv("OVERCAST_TEST_BIN"); bin != "" && !p.own {
			p.bin, p.err = checkPrebuilt(bin)
			return
		}
		root, err := moduleRoot()
		if err != nil {
			p.err = err
			return
		}
		dir, err := cacheDir()
		if err != nil {
			p.err = err
			return
		}
		p.bin, p.err = p.shared(root, dir)
	})
	return p.bin, p.err
}

func checkPrebuilt(bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("OVERCAST_TEST_BIN: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("OVERCAST_TEST_BIN: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("OVERCAST_TEST_BIN: %s is not an executable file", abs)
	}
	return abs, nil
}

// shared returns the binary of the module at root from the shared
// directory dir, building it there under an exclusive lock when it is
// missing.
func (p *program) shared(root, dir string) (string, error) {
	key, err := sourceKey(root, p.pkg, p.args)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, key[:32]+"-"+p.name)
	unlock, err := lock(bin + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		now := time.Now()
		_ = os.Chtimes(bin, now, now) // in use: not stale
		return bin, nil
	}
	if err := p.build(root, bin); err != nil {
		return "", err
	}
	removeStale(dir)
	return bin, nil
}

// build runs go build in the module's root and moves the result to bin
// only when it is complete.
func (p *program) build(root, bin string) error {
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	defer os.Remove(tmp)
	args := append([]string{"build"}, p.args...)
	cmd := exec.Command("go", append(args, tmp, p.pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	builds.Add(1)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("testbin: go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out.String())
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("testbin: %w", err)
	}
	return nil
}

// cacheDir returns the shared directory, creating it.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "overcast", "testbin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testbin: %w", err)
	}
	return dir, nil
}

// lock takes an exclusive flock on path, waiting for whoever holds it,
// and returns the function that releases it.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testbin: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("testbin: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// removeStale deletes binaries of other source trees that no test has
// used for staleAfter, with their lock files.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || strings.Contains(e.Name(), ".lock") || time.Since(fi.ModTime()) < staleAfter {
			continue
		}
		p := filepath.Join(dir, e.Name())
		os.Remove(p)
		os.Remove(p + ".lock")
	}
}
