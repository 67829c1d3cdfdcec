// Package owproxytest gives tests Apache's Go actionloop proxy as a peer.
package owproxytest

import (
	"testing"

	"github.com/overcast-sc/overcast/internal/owproxy"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// Binary returns the proxy built by owproxy.Build. When it cannot be
// built, the test skips on a developer machine and fails under
// REQUIRE_PEERS=1, as CI sets.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := owproxy.Build()
	if err != nil {
		testpeer.Skip(t, "Apache's OpenWhisk Go proxy (../shared/openwhisk/runtime-go, or set %s): %v", owproxy.SourceEnv, err)
	}
	return path
}
