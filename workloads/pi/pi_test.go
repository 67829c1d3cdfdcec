package pi

import (
	"context"
	"math"
	"testing"
)

func TestCountConvergesToPi(t *testing.T) {
	const n = 1 << 24
	in, _ := Count(n, 12345)
	est := 4 * float64(in) / n
	if d := math.Abs(est - math.Pi); d > 6*4*math.Sqrt(0.2*0.8/n) {
		t.Fatalf("estimate %v is %v from pi, beyond 6 standard errors", est, d)
	}
}

func TestSampleChunkingMatchesOneCount(t *testing.T) {
	// Sample works in chunks; the result must not depend on the chunking.
	const n = 1<<24 + 12345
	want, _ := Count(n, 99)
	got, err := Sample(context.Background(), Input{Samples: n, Seed: 99})
	if err != nil || got.Inside != want || got.Samples != n {
		t.Fatalf("Sample = %+v, %v; want inside %d", got, err, want)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		samples uint64
		tasks   int
		wantErr bool
	}{
		{10, 3, false}, {1e10, 1000, false}, {5, 5, false},
		{0, 1, true}, {5, 0, true}, {5, -1, true}, {5, 6, true},
	}
	for _, tt := range tests {
		ins, err := Plan(tt.samples, tt.tasks, 1)
		if (err != nil) != tt.wantErr {
			t.Fatalf("Plan(%d, %d) error = %v, want error %v", tt.samples, tt.tasks, err, tt.wantErr)
		}
		if err != nil {
			continue
		}
		var sum uint64
		seeds := map[uint64]bool{}
		for _, in := range ins {
			sum += in.Samples
			seeds[in.Seed] = true
		}
		if sum != tt.samples || len(ins) != tt.tasks || len(seeds) != tt.tasks {
			t.Fatalf("Plan(%d, %d): sum %d, %d inputs, %d distinct seeds", tt.samples, tt.tasks, sum, len(ins), len(seeds))
		}
	}
}

func BenchmarkCount(b *testing.B) {
	b.SetBytes(0)
	var sink uint64
	for b.Loop() {
		in, _ := Count(1<<20, 7)
		sink += in
	}
	b.ReportMetric(float64(b.N)*(1<<20)/b.Elapsed().Seconds(), "samples/s")
	_ = sink
}
