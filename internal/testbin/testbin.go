// Package testbin builds the programs that tests of several packages run
// (the overcast command, and the same command as a Lambda bootstrap) once
// per change of the module's sources, and shares them across test
// packages and test runs.
//
// `go test ./...` runs the test binaries of several packages at once; when
// each built the overcast command itself, a fresh clone compiled the whole
// dependency tree once per package, concurrently. Here the first package
// to ask builds into a shared directory while holding a file lock, and the
// others wait for that build and reuse it. The directory is keyed by a
// SHA-256 of go.mod, go.sum and every non-test .go file of the module
// (outside testdata), of the Go version and of the build's settings, so a
// change to any source builds afresh and an unchanged tree builds nothing.
//
// The shared directory is overcast/testbin under the user's cache
// directory ($XDG_CACHE_HOME or ~/.cache). OVERCAST_TEST_BIN names a
// prebuilt overcast binary to test instead (a release build, say): both
// Overcast and Bootstrap then return it and build nothing.
package testbin

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast/deploy"
)

// Overcast returns the path of the overcast command built for this
// machine as a release is (CGO_ENABLED=0 and deploy.BuildFlags), but with
// its symbols, which tests of deploy's stripping need; the test fails when
// it cannot be built.
func Overcast(t testing.TB) string {
	t.Helper()
	p, err := OvercastPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Bootstrap returns the path of the overcast command built exactly as
// deploy builds a worker (CGO_ENABLED=0 and deploy.BuildFlags), to serve
// as a Lambda bootstrap or an OpenWhisk action; the test fails when it
// cannot be built.
func Bootstrap(t testing.TB) string {
	t.Helper()
	p, err := BootstrapPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// SelfDeploy returns the path of internal/testprog/selfdeploy, a user
// program that deploys itself as its worker, built as Overcast is; the
// test fails when it cannot be built. OVERCAST_TEST_BIN does not replace
// it.
func SelfDeploy(t testing.TB) string {
	t.Helper()
	p, err := selfDeploy.path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// OvercastPath is Overcast for callers without a testing.TB, such as
// TestMain.
func OvercastPath() (string, error) {
	return overcast.path()
}

// BootstrapPath is Bootstrap for callers without a testing.TB.
func BootstrapPath() (string, error) {
	return bootstrap.path()
}

// Example returns the path of the example program examples/name (a user
// program that calls cli.Main), built as Overcast is: a static binary
// that deploys itself as its own worker. OVERCAST_TEST_BIN does not
// apply to it. The test fails when it cannot be built.
func Example(t testing.TB, name string) string {
	t.Helper()
	examplesMu.Lock()
	p := examples[name]
	if p == nil {
		p = &program{name: "example-" + name, pkg: "./examples/" + name, args: overcast.args, own: true}
		examples[name] = p
	}
	examplesMu.Unlock()
	bin, err := p.path()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var (
	examplesMu sync.Mutex
	examples   = map[string]*program{}
)

// Both programs compile every package with the flags deploy builds a
// worker with, so that the go build cache serves the tests that build
// through deploy as well; only -ldflags, which affects linking alone,
// differs.
var (
	overcast  = &program{name: "overcast", pkg: "./cmd/overcast", args: append(compileFlags(deploy.BuildFlags), "-o")}
	bootstrap = &program{name: "bootstrap", pkg: "./cmd/overcast", args: append(slices.Clone(deploy.BuildFlags), "-o")}
	// selfDeploy is never prebuilt: OVERCAST_TEST_BIN names the overcast
	// command only.
	selfDeploy = &program{name: "selfdeploy", pkg: "./internal/testprog/selfdeploy", args: append(compileFlags(deploy.BuildFlags), "-o"), own: true}
)

// compileFlags returns flags without the linker's.
func compileFlags(flags []string) []string {
	var out []string
	for i := 0; i < len(flags); i++ {
		switch {
		case strings.HasPrefix(flags[i], "-ldflags="):
		case flags[i] == "-ldflags":
			i++
		default:
			out = append(out, flags[i])
		}
	}
	return out
}
