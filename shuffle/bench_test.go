package shuffle

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// BenchmarkShuffleOnFiles counts the words of 16 objects of 512 KB in 16
// map tasks and 32 reducers, with input and intermediate data in a
// directory, on the local backend: a shuffle where what the intermediate
// objects cost to make and read weighs as much as counting. It reports
// the process's CPU seconds per run (cpu-s) beside the time.
func BenchmarkShuffleOnFiles(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	bk, err := storage.Open(ctx, "file://"+dir)
	if err != nil {
		b.Fatal(err)
	}
	defer bk.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var keys []string
	for o := range 16 {
		var buf bytes.Buffer
		for buf.Len() < 512<<10 {
			fmt.Fprintf(&buf, "w%d w%d\n", r.IntN(50000), r.IntN(500))
		}
		key := fmt.Sprintf("in/%02d", o)
		if err := bk.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, key)
	}
	chunks, err := overcast.Partition(ctx, bk, keys, 512<<10)
	if err != nil {
		b.Fatal(err)
	}
	ex, err := overcast.NewExecutor(ctx, "local://?workers=2", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	cpu := cpuSeconds()
	for b.Loop() {
		if _, err := unordered.Run(ctx, ex, chunks, Config[string]{Storage: "file://" + dir, Reducers: 32}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s")
}
