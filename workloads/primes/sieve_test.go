package primes

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// refLimit is the bound of the reference sieve used by the tests.
const refLimit = 2_000_000

var (
	refOnce sync.Once
	refPi   []uint64 // refPi[n] is the number of primes < n
)

// referencePi returns a table of prime counts below n for n <= refLimit,
// computed with a plain byte-per-number sieve.
func referencePi() []uint64 {
	refOnce.Do(func() {
		composite := make([]bool, refLimit+1)
		refPi = make([]uint64, refLimit+1)
		var count uint64
		for n := 0; n <= refLimit; n++ {
			refPi[n] = count
			if n < 2 || composite[n] {
				continue
			}
			count++
			for m := n * n; m <= refLimit; m += n {
				composite[m] = true
			}
		}
	})
	return refPi
}

// scale returns n, or short in -short mode.
func scale(n, short int) int {
	if testing.Short() {
		return short
	}
	return n
}

func TestCountRangeEdges(t *testing.T) {
	pi := referencePi()
	var bounds []uint64
	for n := range uint64(scale(200, 64)) {
		bounds = append(bounds, n)
	}
	for _, b := range []uint64{
		maxPresieved*maxPresieved - 1, 181 * 181, 30 * 1009, 65_536,
		1_000_000, 1_000_003, 1_999_993, refLimit - 1,
	} {
		bounds = append(bounds, b-1, b, b+1)
	}
	for _, lo := range bounds {
		for _, hi := range bounds {
			if lo > hi || hi > refLimit {
				continue
			}
			if got, want := CountRange(lo, hi), pi[hi]-pi[lo]; got != want {
				t.Errorf("CountRange(%d, %d) = %d, want %d", lo, hi, got, want)
			}
		}
	}
}

func TestCountRangeRandom(t *testing.T) {
	pi := referencePi()
	rng := rand.New(rand.NewPCG(1, 2))
	for range scale(3000, 300) {
		lo := rng.Uint64N(refLimit + 1)
		hi := lo + rng.Uint64N(refLimit+1-lo)
		if rng.IntN(3) == 0 {
			hi = min(lo+rng.Uint64N(100), refLimit)
		}
		if got, want := CountRange(lo, hi), pi[hi]-pi[lo]; got != want {
			t.Fatalf("CountRange(%d, %d) = %d, want %d", lo, hi, got, want)
		}
	}
}

func TestCountRangeEmpty(t *testing.T) {
	for _, r := range [][2]uint64{{0, 0}, {5, 5}, {10, 3}, {1e12, 1e12}} {
		if got := CountRange(r[0], r[1]); got != 0 {
			t.Errorf("CountRange(%d, %d) = %d, want 0", r[0], r[1], got)
		}
	}
}

func TestCountRangePowersOfTen(t *testing.T) {
	want := []uint64{4, 25, 168, 1229, 9592, 78498, 664579, 5761455, 50847534}
	if testing.Short() {
		want = want[:8] // the race detector makes pi(1e9) slow
	}
	n := uint64(1)
	for k, w := range want {
		n *= 10
		if got := CountRange(0, n); got != w {
			t.Errorf("CountRange(0, 1e%d) = %d, want %d", k+1, got, w)
		}
	}
}

func TestCountRangeAdditive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range scale(200, 30) {
		b := rng.Uint64N(1 << 36)
		a := rng.Uint64N(b + 1)
		lo := b - min(b, rng.Uint64N(5_000_000)) // keep the ranges cheap
		a = max(a, lo)
		whole := CountRange(lo, b)
		if got := CountRange(lo, a) + CountRange(a, b); got != whole {
			t.Fatalf("CountRange(%d, %d) + CountRange(%d, %d) = %d, want %d", lo, a, a, b, got, whole)
		}
	}
}

// trialCount counts the primes in [lo, hi) by trial division.
func trialCount(lo, hi uint64) uint64 {
	primes := sievingPrimes(isqrt(hi))
	var count uint64
	for n := max(lo, 2); n < hi; n++ {
		if isPrime(n, primes) {
			count++
		}
	}
	return count
}

func isPrime(n uint64, primes []uint32) bool {
	for _, p := range primes {
		q := uint64(p)
		if q*q > n {
			break
		}
		if n%q == 0 {
			return false
		}
	}
	return true
}

func TestCountRangeHigh(t *testing.T) {
	for _, lo := range []uint64{1e12, 1e13 - 20_000, 1<<40 - 7_777, 999_999_000_000} {
		for _, w := range []uint64{1, 2, 31, 1000, 20_000} {
			if got, want := CountRange(lo, lo+w), trialCount(lo, lo+w); got != want {
				t.Errorf("CountRange(%d, %d) = %d, want %d", lo, lo+w, got, want)
			}
		}
	}
}

func TestCountRangeHighSplit(t *testing.T) {
	// Counted as one range and in many pieces that start and end inside
	// segments, a window high up must agree with trial division on a
	// sub-window and with itself.
	const lo, hi = 1e12, 1e12 + 1e6
	whole := CountRange(lo, hi)
	var sum uint64
	for a := uint64(lo); a < hi; a += 77_777 {
		sum += CountRange(a, min(a+77_777, hi))
	}
	if sum != whole {
		t.Fatalf("split count %d, whole count %d", sum, whole)
	}
	const want = 36249 // from primesieve 1000000000000 1000001000000 -c
	if whole != want {
		t.Errorf("CountRange(1e12, 1e12+1e6) = %d, want %d", whole, want)
	}
}

func TestCountRangeSegmentBoundaries(t *testing.T) {
	// Within one call the sieving-prime states carry over from segment to
	// segment; the counts just before and after each boundary must match
	// trial division, and the whole must match fresh calls on pieces.
	const seg = 30 * segBytes
	los, segs := []uint64{0, 7, 1e12 + 11}, []uint64{1, 2, 3}
	if testing.Short() {
		los, segs = los[1:], segs[:1]
	}
	for _, lo := range los {
		for _, j := range segs {
			b := lo + j*seg
			for _, w := range []uint64{1, 29, 30, 31, 5000} {
				got := CountRange(lo, b+w) - CountRange(lo, b-w)
				if want := trialCount(b-w, b+w); got != want {
					t.Errorf("primes in [%d, %d) via lo=%d: got %d, want %d", b-w, b+w, lo, got, want)
				}
			}
		}
		hi := lo + segs[len(segs)-1]*seg + 12_345
		var sum uint64
		for a := lo; a < hi; a += seg / 3 {
			sum += CountRange(a, min(a+seg/3, hi))
		}
		if whole := CountRange(lo, hi); whole != sum {
			t.Errorf("CountRange(%d, %d) = %d, sum of pieces %d", lo, hi, whole, sum)
		}
	}
}

func TestPresieveGroups(t *testing.T) {
	var want []int
	for _, p := range simpleSieve(maxPresieved) {
		if p >= 7 {
			want = append(want, int(p))
		}
	}
	var got []int
	for _, g := range presieveGroups {
		got = append(got, g...)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("presieve groups hold %v, want the primes 7..%d %v", got, maxPresieved, want)
	}
	if len(presieveGroups)%4 != 0 {
		t.Errorf("%d presieve groups, want a multiple of 4", len(presieveGroups))
	}
}

func TestCountRangeConcurrent(t *testing.T) {
	pi := referencePi()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for range 50 {
				lo := rng.Uint64N(refLimit + 1)
				hi := lo + rng.Uint64N(refLimit+1-lo)
				if got, want := CountRange(lo, hi), pi[hi]-pi[lo]; got != want {
					t.Errorf("CountRange(%d, %d) = %d, want %d", lo, hi, got, want)
				}
			}
		})
	}
	wg.Wait()
}

func TestCountRange1e10(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	if got, want := countParallel(1e10, 200, 2), uint64(455052511); got != want {
		t.Errorf("pi(1e10) = %d, want %d", got, want)
	}
}

// countParallel counts the primes below n by splitting [0, n) into chunks
// ranges that workers goroutines take in turn.
func countParallel(n uint64, chunks, workers int) uint64 {
	results := make([]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := w; c < chunks; c += workers {
				lo := n * uint64(c) / uint64(chunks)
				hi := n * uint64(c+1) / uint64(chunks)
				results[w] += CountRange(lo, hi)
			}
		})
	}
	wg.Wait()
	var total uint64
	for _, r := range results {
		total += r
	}
	return total
}
