package drivertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/backend/local"
)

// TestThrottlerConformance runs the throttle suite against the synthetic
// throttling platform in front of the local driver: with and without a
// named limit, with and without a Retry-After.
func TestThrottlerConformance(t *testing.T) {
	for _, tt := range []struct {
		name        string
		reportLimit bool
		retryAfter  time.Duration
	}{
		{"silent", false, 0},
		{"named limit", true, 0},
		{"Retry-After", false, 30 * time.Millisecond},
		{"named limit and Retry-After", true, 30 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var th *drivertest.Throttler
			drivertest.RunThrottleTests(t, drivertest.ThrottleHarness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					th = &drivertest.Throttler{Inner: local.New(&local.Options{Workers: 32}), Limit: 8, ReportLimit: tt.reportLimit, RetryAfter: tt.retryAfter}
					return backend.New("throttled", th), nil
				},
				Limit:        8,
				ReportsLimit: tt.reportLimit,
				Log:          func() []drivertest.Arrival { return th.Log() },
				RetryAfter:   tt.retryAfter > 0,
			})
		})
	}
}
