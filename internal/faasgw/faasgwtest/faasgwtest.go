// Package faasgwtest holds what the tests of the platform stand-ins
// (faasgw) and of the http driver on them share: the overcast binary their
// worker processes run, and a test server for a stand-in.
package faasgwtest

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"

	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// WorkerBin returns the overcast binary that worker processes run
// ("overcast worker serve"). When it cannot be built or has no worker
// serve, the test skips on a developer machine and fails under
// REQUIRE_PEERS=1, as CI sets.
func WorkerBin(t testing.TB) string {
	t.Helper()
	bin, err := testbin.OvercastPath()
	if err != nil {
		testpeer.Skip(t, "the overcast binary: %v", err)
	}
	if out, err := exec.Command(bin, "worker", "serve", "--help").CombinedOutput(); err != nil {
		testpeer.Skip(t, "%s has no worker serve: %v\n%s", bin, err, out)
	}
	return bin
}

// Serve serves h, a stand-in or a handler wrapping it, on a loopback test
// server and returns the server's URL. When the test ends it closes the
// server, then the stand-in, and fails the test when the stand-in's Close
// does.
func Serve(t testing.TB, h http.Handler, standin interface{ Close() error }) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if err := standin.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL
}
