package primes

import (
	"encoding/binary"
	"sync"
)

// presieveGroups are the primes removed by ANDing precomputed patterns
// into each segment instead of crossing off their multiples. Each group's product is kept
// small enough for its pattern to stay cache-friendly.
var presieveGroups = [...][]int{
	{7, 67, 71},
	{11, 41, 73},
	{13, 43, 59},
	{17, 37, 53},
	{19, 29, 61},
	{23, 31, 47},
	{79, 97},
	{83, 89},
	{101, 179},
	{103, 173},
	{107, 167},
	{109, 163},
	{113, 157},
	{127, 151},
	{131, 149},
	{137, 139},
}

// maxPresieved is the largest presieved prime.
const maxPresieved = 179

// pattern is the sieve of one presieve group: byte b stands for the
// numbers 30*b + residues and keeps only those coprime to every prime of
// the group. It repeats with period bytes, and bytes holds one period.
type pattern struct {
	period int
	bytes  []byte
}

var (
	patternsOnce sync.Once
	patterns     []pattern
)

// loadPatterns returns the presieve patterns, building them once.
func loadPatterns() []pattern {
	patternsOnce.Do(func() {
		patterns = make([]pattern, len(presieveGroups))
		for i, g := range presieveGroups {
			patterns[i] = newPattern(g)
		}
	})
	return patterns
}

// newPattern builds the pattern of a group of primes.
func newPattern(group []int) pattern {
	period := 1
	for _, p := range group {
		period *= p
	}
	b := make([]byte, period)
	for i := range b {
		b[i] = 0xff
	}
	for _, p := range group {
		for j, r := range residues {
			i := 0
			for (30*i+r)%p != 0 {
				i++
			}
			for ; i < period; i += p {
				b[i] &^= 1 << j
			}
		}
	}
	return pattern{period: period, bytes: b}
}

// presieve initialises seg, which starts at absolute byte index start,
// with all numbers coprime to 30 and to every presieved prime.
func presieve(seg []byte, start uint64) {
	pats := loadPatterns()
	for i := 0; i < len(pats); i += 4 {
		presieve4(seg, start, pats[i:i+4], i > 0)
	}
}

// presieve4 stores the AND of four patterns into seg, or ANDs it into seg
// when accumulate is set, in runs over which no pattern wraps around.
func presieve4(seg []byte, start uint64, pats []pattern, accumulate bool) {
	var off [4]int
	for j := range off {
		off[j] = int(start % uint64(pats[j].period))
	}
	for pos := 0; pos < len(seg); {
		n := len(seg) - pos
		for j := range off {
			n = min(n, pats[j].period-off[j])
		}
		and4(seg[pos:pos+n], pats[0].bytes[off[0]:], pats[1].bytes[off[1]:],
			pats[2].bytes[off[2]:], pats[3].bytes[off[3]:], accumulate)
		pos += n
		for j := range off {
			if off[j] += n; off[j] == pats[j].period {
				off[j] = 0
			}
		}
	}
}

// and4 stores a&b&c&d into dst, or ANDs it into dst when accumulate is
// set. The sources must be at least as long as dst.
func and4(dst, a, b, c, d []byte, accumulate bool) {
	n := len(dst)
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	le := binary.LittleEndian
	i := 0
	for ; i+8 <= n; i += 8 {
		w := le.Uint64(a[i:i+8]) & le.Uint64(b[i:i+8]) & le.Uint64(c[i:i+8]) & le.Uint64(d[i:i+8])
		if accumulate {
			w &= le.Uint64(dst[i : i+8])
		}
		le.PutUint64(dst[i:i+8], w)
	}
	for ; i < n; i++ {
		w := a[i] & b[i] & c[i] & d[i]
		if accumulate {
			w &= dst[i]
		}
		dst[i] = w
	}
}
