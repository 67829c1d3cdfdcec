package primes

import (
	"runtime"
	"testing"
)

// BenchmarkCountTo1e9 counts the primes below 1e9 in 200 chunks shared by
// GOMAXPROCS goroutines, the way the workload scheduler calls CountRange.
func BenchmarkCountTo1e9(b *testing.B) {
	for b.Loop() {
		if got := countParallel(1e9, 200, runtime.GOMAXPROCS(0)); got != 50847534 {
			b.Fatalf("pi(1e9) = %d", got)
		}
	}
}

// BenchmarkCountTo1e10 counts the primes below 1e10 in 200 chunks shared by
// GOMAXPROCS goroutines; its ns/op is the wall time of the whole count.
func BenchmarkCountTo1e10(b *testing.B) {
	for b.Loop() {
		if got := countParallel(1e10, 200, runtime.GOMAXPROCS(0)); got != 455052511 {
			b.Fatalf("pi(1e10) = %d", got)
		}
	}
}

// BenchmarkNsPerNumber sieves a 5e7-number chunk near 1e10 on one goroutine
// and reports the cost per number.
func BenchmarkNsPerNumber(b *testing.B) {
	const lo, width = 9_950_000_000, 50_000_000
	for b.Loop() {
		CountRange(lo, lo+width)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/width, "ns/number")
}
