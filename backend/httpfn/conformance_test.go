package httpfn_test

import (
	"context"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
)

// TestConformanceStandIns runs the conformance suite over three workers in
// this process that speak the worker's HTTP protocol and want a token.
func TestConformanceStandIns(t *testing.T) {
	t.Setenv("OVERCAST_TOKEN", "conformance-token")
	var eps []string
	for range 3 {
		eps = append(eps, serve(t, &standIn{token: "conformance-token"}))
	}
	drivertest.RunConformanceTests(t, drivertest.Harness{
		Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
			return backend.Open(ctx, "http://?concurrency=8&endpoint="+eps[0]+","+eps[1]+","+eps[2])
		},
		Large:   2000,
		Timeout: time.Second,
	})
}
