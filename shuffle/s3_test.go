package shuffle

import (
	"context"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
)

// TestS3RequestsPerMapTask runs a shuffle with its intermediate data in a
// real S3 server, counted on the wire, and its input in a directory: the
// map tasks send one PUT each, whatever the reducers, and the reducers one
// ranged GET per non-empty region, none for an empty one.
func TestS3RequestsPerMapTask(t *testing.T) {
	if testing.Short() {
		t.Skip("runs versitygw")
	}
	counter := s3test.Start(t).Counter(t)
	texts := []string{"a0 b2 c5 a0\nb5 b5\n", "c2 c2 c2\n", "d0\n", "e5 e5 a0 b2\n"}
	const reducers = 7 // digits 0, 2 and 5 only: 4 of 7 partitions empty
	for _, job := range []*Job[string, int64]{digits, digitsUnordered} {
		t.Run(job.Name, func(t *testing.T) {
			f := newTextFixture(t, 10, texts...)
			want := nonEmptyRegions(t, f, reducers)
			if want <= len(f.chunks) {
				t.Fatalf("%d non-empty regions in %d chunks: one object per region would pass as well", want, len(f.chunks))
			}
			reads := watchReads(t)
			counter.Take()
			res, err := job.Run(context.Background(), newExecutor(t, nil), f.chunks, Config[string]{
				Storage: counter.Bucket(t), Reducers: reducers})
			if err != nil {
				t.Fatal(err)
			}
			n := counter.Take()
			if res.ReduceCounters["values"] != f.words {
				t.Errorf("reducers read %d values, want %d", res.ReduceCounters["values"], f.words)
			}
			if n.Puts != int64(len(f.chunks)) || n.Gets != int64(want) || len(reads.all()) != want {
				t.Errorf("%d map tasks, %d non-empty regions: on the wire %+v, %d reads seen", len(f.chunks), want, n, len(reads.all()))
			}
		})
	}
}
