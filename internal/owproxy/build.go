package owproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/overcast-sc/overcast/internal/shareddir"
)

// SourceEnv names the environment variable that points at a copy of
// apache/openwhisk-runtime-go holding cmd/loopback-proxy.
const SourceEnv = "OVERCAST_OW_RUNTIME_GO"

// Source returns the folder of apache/openwhisk-runtime-go to build the
// proxy from: $OVERCAST_OW_RUNTIME_GO, else openwhisk/runtime-go in the
// shared folder (shareddir.Dir: $OVERCAST_SHARED, or ../shared beside the
// root of the module holding the working directory).
func Source() (string, error) {
	if d := os.Getenv(SourceEnv); d != "" {
		return d, nil
	}
	dir, err := shareddir.Path("openwhisk", "runtime-go")
	if err != nil {
		return "", fmt.Errorf("owproxy: %w (or set %s)", err, SourceEnv)
	}
	return dir, nil
}

var built struct {
	once sync.Once
	path string
	err  error
}

// Build builds the loopback proxy from Source once per process and returns
// its path. The binary is kept in the user's cache folder under a hash of
// the source, so that later processes reuse it.
func Build() (string, error) {
	built.once.Do(func() { built.path, built.err = build() })
	return built.path, built.err
}

func build() (string, error) {
	src, err := Source()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(src, "cmd", "loopback-proxy")); err != nil {
		return "", fmt.Errorf("owproxy: no Apache runtime-go copy with cmd/loopback-proxy at %s (set %s): %w", src, SourceEnv, err)
	}
	sum, err := treeHash(src)
	if err != nil {
		return "", fmt.Errorf("owproxy: read %s: %w", src, err)
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "owproxy-"+sum[:24])
	if fi, err := os.Stat(out); err == nil && fi.Mode().IsRegular() {
		return out, nil
	}
	tmp, err := os.CreateTemp(dir, "owproxy-build-")
	if err != nil {
		return "", fmt.Errorf("owproxy: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command("go", "-C", src, "build", "-trimpath", "-o", tmp.Name(), "./cmd/loopback-proxy")
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("owproxy: build the proxy in %s: %v: %s", src, err, strings.TrimSpace(string(msg)))
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("owproxy: %w", err)
	}
	return out, nil
}

// cacheDir is where built proxies are kept.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "overcast", "owproxy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("owproxy: %w", err)
	}
	return dir, nil
}

// treeHash is the SHA-256 of the names and contents of the .go, go.mod
// and go.sum files under dir.
func treeHash(dir string) (string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); !d.IsDir() && (strings.HasSuffix(n, ".go") || n == "go.mod" || n == "go.sum") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, n)
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
