package journal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// BenchmarkPiOverhead runs a local pi job of 10,000 tiny tasks without and
// with a journal: the difference is what journaling costs per job.
func BenchmarkPiOverhead(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprint("journal=", on), func(b *testing.B) {
			st := journal.New(b.TempDir())
			k := 0
			for b.Loop() {
				k++
				id := fmt.Sprint("job-", k)
				opts := &overcast.Options{JobID: id}
				var rec *journal.Recorder
				if on {
					rec, _ = st.Record(journal.Spec{ID: id, Workload: "pi", Started: time.Now()})
					opts.Journal = rec
				}
				runPi(b, opts)
				if rec != nil {
					if err := rec.End(journal.Done, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func runPi(b *testing.B, opts *overcast.Options) {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", opts)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	if _, _, err := pi.Run(ctx, ex, 1e8, 10000, 1); err != nil {
		b.Fatal(err)
	}
}
