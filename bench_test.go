package overcast_test

import (
	"context"
	"testing"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
)

type empty struct{}

func init() {
	overcast.Register("test/empty", func(ctx context.Context, in empty) (empty, error) { return in, nil })
}

// BenchmarkSchedulerOverhead measures the scheduler's cost per empty task on
// the local backend: encode, dispatch, run, decode, record.
func BenchmarkSchedulerOverhead(b *testing.B) {
	b.Run("encoded", func(b *testing.B) { benchEmpty(b, "local") })
	b.Run("direct", func(b *testing.B) { benchEmpty(b, "local://?encode=false") })
}

func benchEmpty(b *testing.B, url string) {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	ins := make([]empty, b.N)
	b.ResetTimer()
	if _, err := overcast.Map[empty, empty](ctx, ex, "test/empty", ins).Wait(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/task")
}
