package faulttest

import (
	"testing"

	"github.com/overcast-sc/overcast/internal/testbin"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine they started is
// still running after them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// overcastBinary returns the overcast command built statically, as a
// release would be, once for all test packages (see internal/testbin).
func overcastBinary(t *testing.T) string {
	t.Helper()
	return testbin.Overcast(t)
}
