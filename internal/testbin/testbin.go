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
	"testing"
)

// Overcast returns the path of the overcast command built for this
// machine with CGO_ENABLED=0, as a release is; the test fails when it
// cannot be built.
func Overcast(t testing.TB) string {
	t.Helper()
	p, err := OvercastPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Bootstrap returns the path of the overcast command built as deploy
// builds a worker (CGO_ENABLED=0, -tags lambda.norpc, stripped; without
// -trimpath, which would compile every package again), to serve as a
// Lambda bootstrap or an OpenWhisk action; the test fails when it cannot
// be built.
func Bootstrap(t testing.TB) string {
	t.Helper()
	p, err := BootstrapPath()
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

var (
	overcast  = &program{name: "overcast", pkg: "./cmd/overcast", args: []string{"-o"}}
	bootstrap = &program{name: "bootstrap", pkg: "./cmd/overcast", args: []string{"-tags", "lambda.norpc", "-ldflags", "-s -w", "-o"}}
)
