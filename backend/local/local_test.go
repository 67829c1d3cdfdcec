package local_test

import (
	"context"
	"testing"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/drivertest"
	_ "github.com/overcast-sc/overcast/backend/local"
)

func TestConformance(t *testing.T) {
	for _, url := range []string{"local", "local://?encode=false", "local://?workers=7"} {
		t.Run(url, func(t *testing.T) {
			drivertest.RunConformanceTests(t, drivertest.Harness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					return backend.Open(ctx, url)
				},
				Large: 100000,
			})
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, url := range []string{"local://?workers=0", "local://?workers=x", "local://?bogus=1", "local://host", "local://?encode=maybe"} {
		if b, err := backend.Open(context.Background(), url); err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded, want an error", url)
		}
	}
}
