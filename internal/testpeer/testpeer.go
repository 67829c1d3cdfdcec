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
	"strings"
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

// ExemptEnv names the environment variable that lists, comma-separated,
// the peers that CI cannot provide: under REQUIRE_PEERS=1 a test missing
// one of these still skips. .ci/run sets it and says why for each.
const ExemptEnv = "REQUIRE_PEERS_EXEMPT"

// Exempt reports whether peer is in the list of ExemptEnv.
func Exempt(peer string) bool {
	for _, p := range strings.Split(os.Getenv(ExemptEnv), ",") {
		if strings.TrimSpace(p) == peer {
			return true
		}
	}
	return false
}

// SkipPeer is Skip for a named peer: when peer is Exempt, the test skips
// even under REQUIRE_PEERS=1, and its message says so.
func SkipPeer(t testing.TB, peer, format string, args ...any) {
	t.Helper()
	if Required() && Exempt(peer) {
		t.Skipf(format+" (exempt from REQUIRE_PEERS by "+ExemptEnv+")", args...)
		return
	}
	Skip(t, format, args...)
}
