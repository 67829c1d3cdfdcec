//go:build linux

package lambda_test

import (
	"context"
	"testing"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/internal/lambdathrottle"
)

// TestThrottleConformance runs the shared throttle suite through a
// stand-in of Lambda's concurrency throttling in front of the emulator
// pool: the driver may send four times more than the stand-in admits, the
// stand-in's 429s name no limit (as Lambda's do not), and its first two
// carry a Retry-After of one second.
func TestThrottleConformance(t *testing.T) {
	eps := emulators(t)
	limit := len(eps)
	var th *lambdathrottle.Server
	drivertest.RunThrottleTests(t, drivertest.ThrottleHarness{
		Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
			th = lambdathrottle.New(limit, eps, "1", "1")
			t.Cleanup(th.Close)
			return backend.Open(ctx, "lambda://function?endpoint="+th.URL+"&concurrency=16")
		},
		Limit:      limit,
		Log:        func() []drivertest.Arrival { return th.Log() },
		RetryAfter: true,
	})
}
