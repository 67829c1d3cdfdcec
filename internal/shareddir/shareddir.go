// Package shareddir locates, for tests, the read-only folder beside the
// repository (../shared) that holds Apache OpenWhisk's sources, runtime
// manifests and Helm chart, and the root of the module they run in. A
// test whose file there is missing skips, or fails under REQUIRE_PEERS=1.
package shareddir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/overcast-sc/overcast/internal/testpeer"
)

// Env names the environment variable that points at the shared folder
// when it is not ../shared beside the module root.
const Env = "OVERCAST_SHARED"

// Dir returns $OVERCAST_SHARED, else the folder "shared" beside the root
// of the module holding the working directory.
func Dir() (string, error) {
	if d := os.Getenv(Env); d != "" {
		return d, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("%w; set %s", err, Env)
	}
	return filepath.Join(filepath.Dir(root), "shared"), nil
}

// Path returns the path of elem under Dir.
func Path(elem ...string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{dir}, elem...)...), nil
}

// ModuleRoot walks up from the working directory, which go test sets to
// the package's own, to the folder of go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Need returns the path of elem under Dir. When nothing is there, the
// test skips on a developer machine and fails under REQUIRE_PEERS=1, as
// CI sets (testpeer).
func Need(t testing.TB, elem ...string) string {
	t.Helper()
	p, err := Path(elem...)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		testpeer.Skip(t, "the shared folder (../shared beside the repository, or set %s): %v", Env, err)
	}
	return p
}
