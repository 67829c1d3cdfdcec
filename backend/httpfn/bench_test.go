//go:build linux

package httpfn_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/httpfn"
)

// BenchmarkEcho measures empty echo tasks, 8 in flight, through the http
// backend to one worker serve process, with the driver's kept-alive
// connections and with a new connection per task (the baseline), and
// reports tasks/s; the ratio of the two is what keep-alive buys.
func BenchmarkEcho(b *testing.B) {
	ps := startWorkers(b, 1, "", "--concurrency", "64")
	for _, mode := range []string{"keep-alive", "new-connection-per-task"} {
		b.Run(mode, func(b *testing.B) {
			opts := &httpfn.Options{Endpoints: urls(ps), Concurrency: 8, Auth: httpfn.Auth{Mode: httpfn.ModeNone}}
			if mode != "keep-alive" {
				opts.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			}
			d, err := httpfn.Open(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			bk := backend.New("http", d)
			defer bk.Close()
			ex := executor(bk, nil)
			ins := numbered(b.N)
			b.ResetTimer()
			if _, err := runEcho(ex, ins); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
