package faulttest

import (
	"testing"

	"github.com/overcast-sc/overcast/internal/testbin"
)

// overcastBinary returns the overcast command built statically, as a
// release would be, once for all test packages (see internal/testbin).
func overcastBinary(t *testing.T) string {
	t.Helper()
	return testbin.Overcast(t)
}
