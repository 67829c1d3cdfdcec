package owproxy

import "os"

// TB is the part of testing.TB the peer check uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Binary returns the built proxy for a test. When it cannot be built, the
// test is skipped on a developer machine and fails under REQUIRE_PEERS=1,
// as CI sets.
func Binary(t TB) string {
	t.Helper()
	return binary(t, Build)
}

func binary(t TB, build func() (string, error)) string {
	t.Helper()
	path, err := build()
	if err != nil {
		missingPeer(t, "Apache's OpenWhisk Go proxy: "+err.Error())
	}
	return path
}

// missingPeer skips t, or fails it under REQUIRE_PEERS=1.
func missingPeer(t TB, reason string) {
	t.Helper()
	if os.Getenv("REQUIRE_PEERS") == "1" {
		t.Fatalf("peer missing under REQUIRE_PEERS=1: %s", reason)
		return
	}
	t.Skipf("peer missing: %s", reason)
}
