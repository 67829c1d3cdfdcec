package primes

//go:generate go run mkcross.go

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
)

// segBytes is the size of a sieve segment in bytes; each byte covers 30
// numbers. Segments are sized for the L2 cache: large enough that most
// sieving primes below 1e5 cross off whole wheel cycles in every segment.
const segBytes = 512 << 10

// maxSpan bounds the numbers sieved with one set of sieving-prime states,
// so that byte offsets fit in uint32.
const maxSpan = 1 << 36

// sievingPrime is the state of one sieving prime p = 30*k + residues[ri]
// within one call: its next multiple p*q lies at byte next of the current
// segment, and q%30 == residues[wi].
type sievingPrime struct {
	k    uint32
	next uint32
	ri   uint8
	wi   uint8
}

// sieve holds the buffers of one CountRange call.
type sieve struct {
	seg    []byte
	primes []sievingPrime
}

var sievePool = sync.Pool{
	New: func() any { return &sieve{seg: make([]byte, segBytes)} },
}

// CountRange returns the number of primes p with lo <= p < hi, or 0 when
// hi <= lo. It is safe for concurrent use by many goroutines. Its cost
// grows with hi-lo and, through the sieving primes up to sqrt(hi), with
// sqrt(hi); it is meant for hi up to about 1e15.
func CountRange(lo, hi uint64) uint64 {
	if hi <= lo {
		return 0
	}
	var count uint64
	for _, p := range [...]uint64{2, 3, 5} {
		if lo <= p && p < hi {
			count++
		}
	}
	s := sievePool.Get().(*sieve)
	defer sievePool.Put(s)
	for lo < hi {
		end := hi
		if hi-lo > maxSpan {
			end = lo + maxSpan
		}
		count += s.count(lo, end)
		lo = end
	}
	return count
}

// count returns the number of primes p >= 7 with lo <= p < hi, where
// hi-lo <= maxSpan.
func (s *sieve) count(lo, hi uint64) uint64 {
	first, last := lo/30, (hi+29)/30 // the sieve bytes are [first, last)
	s.initPrimes(first, hi)
	var count uint64
	for start := first; start < last; start += segBytes {
		seg := s.seg[:min(segBytes, last-start)]
		presieve(seg, start)
		if start*30 <= maxPresieved {
			fixSmallNumbers(seg, start)
		}
		crossOff(seg, s.primes)
		if start == first {
			seg[0] &= keepFrom[lo-30*first]
		}
		if start+uint64(len(seg)) == last {
			seg[len(seg)-1] &^= keepFrom[hi-30*(last-1)]
		}
		count += popcount(seg)
	}
	return count
}

// initPrimes sets up the states of the sieving primes for sieving from the
// absolute byte index first up to the number hi. It leaves out the
// presieved primes and the primes without a multiple to clear below hi.
func (s *sieve) initPrimes(first, hi uint64) {
	s.primes = s.primes[:0]
	low := 30 * first
	for _, p32 := range sievingPrimes(isqrt(hi - 1)) {
		p := uint64(p32)
		if p <= maxPresieved {
			continue
		}
		q := max(p, (low+p-1)/p) // the smallest useful multiplier
		for residueIndex[q%30] < 0 {
			q++
		}
		m := p * q
		if m >= hi {
			continue
		}
		s.primes = append(s.primes, sievingPrime{
			k:    uint32(p / 30),
			next: uint32(m/30 - first),
			ri:   uint8(residueIndex[p%30]),
			wi:   uint8(residueIndex[q%30]),
		})
	}
}

// isqrt returns floor(sqrt(n)).
func isqrt(n uint64) uint64 {
	r := uint64(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// fixSmallNumbers clears 1 and restores the presieved primes, which their
// own patterns cleared, in a segment starting at absolute byte start.
func fixSmallNumbers(seg []byte, start uint64) {
	if start == 0 {
		seg[0] &^= 1 // 1 is not prime
	}
	for _, g := range presieveGroups {
		for _, p := range g {
			b := uint64(p / 30)
			if b >= start && b-start < uint64(len(seg)) {
				seg[b-start] |= bitOf(p)
			}
		}
	}
}

// popcount returns the number of set bits in b.
func popcount(b []byte) uint64 {
	var n int
	i := 0
	for ; i+8 <= len(b); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b[i : i+8]))
	}
	for ; i < len(b); i++ {
		n += bits.OnesCount8(b[i])
	}
	return uint64(n)
}

// crossOff clears the multiples of every sieving prime in seg and moves
// each prime's state on to the next segment. Whole wheel cycles are
// cleared by the unrolled crossCycles; the partial cycles at both ends of
// the segment, and primes too large for a whole cycle, step one multiple at
// a time.
func crossOff(seg []byte, primes []sievingPrime) {
	n := len(seg)
	for idx := range primes {
		sp := &primes[idx]
		i := int(sp.next)
		if i >= n {
			sp.next = uint32(i - n)
			continue
		}
		k, wi := int(sp.k), int(sp.wi)
		st := &steps[sp.ri]
		for wi != 0 && i < n {
			i, wi = stepOnce(seg, i, k, wi, st)
		}
		if wi == 0 {
			i = crossCycles(seg, i, k, int(sp.ri))
		}
		for i < n {
			i, wi = stepOnce(seg, i, k, wi, st)
		}
		sp.next = uint32(i - n)
		sp.wi = uint8(wi)
	}
}

// stepOnce clears the multiple at byte i, whose multiplier has residue
// index wi, and returns the byte and residue index of the next multiple.
func stepOnce(seg []byte, i, k, wi int, st *[8]step) (int, int) {
	e := &st[wi]
	seg[i] &^= e.mask
	return i + k*int(e.gap) + int(e.carry), (wi + 1) & 7
}
