package shuffle

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/overcast-sc/overcast/internal/awstest"
)

// TestMain keeps the S3 driver on test keys and fails the package's
// tests when a goroutine they started is still running after them.
func TestMain(m *testing.M) {
	awstest.Isolate()
	goleak.VerifyTestMain(m)
}
