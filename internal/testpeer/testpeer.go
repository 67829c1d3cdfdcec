// Package testpeer decides what a test does when a peer it needs is
// missing: a program (node, aws-lambda-rie, Apache's OpenWhisk proxy), an
// installed client library, or a binary the test builds.
//
// On a developer machine such a test skips, so that `go test ./...` runs
// anywhere Go does. Under REQUIRE_PEERS=1, which .ci/run sets, the same
// test fails instead: a CI run whose peers went missing must not pass by
// silently skipping the tests that talk to them.
package testpeer

import (
	"os"
	"testing"
)

// Required reports whether missing peers fail tests (REQUIRE_PEERS=1)
// instead of skipping them.
func Required() bool {
	return os.Getenv("REQUIRE_PEERS") == "1"
}

// Skip stops the test because a peer is missing: it skips the test, or
// fails it when Required reports true. The message should say what is
// missing and how to install it.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("REQUIRE_PEERS=1: "+format, args...)
		return
	}
	t.Skipf(format, args...)
}
