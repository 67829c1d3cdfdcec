package shuffle

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKeyHashDependsOnEveryBit flips each bit of keys of every length up
// to 70 bytes, wherever the key sits in memory: each flip and each
// length change the hash, and the same bytes elsewhere hash the same.
func TestKeyHashDependsOnEveryBit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	buf := make([]byte, 80)
	zeros := map[uint64]int{}
	for n := range 71 {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		key := buf[3 : 3+n]
		h := keyHash(key)
		if moved := append([]byte(nil), key...); keyHash(moved) != h {
			t.Fatalf("%d bytes: the same bytes elsewhere hash differently", n)
		}
		for i := range key {
			for bit := range 8 {
				key[i] ^= 1 << bit
				if keyHash(key) == h {
					t.Fatalf("%d bytes: flipping bit %d of byte %d leaves the hash", n, bit, i)
				}
				key[i] ^= 1 << bit
			}
		}
		z := keyHash(make([]byte, n))
		if m, ok := zeros[z]; ok {
			t.Fatalf("%d and %d zero bytes hash the same", m, n)
		}
		zeros[z] = n
	}
}

// TestKeyHashSpreads hashes 2^18 distinct short keys: no two hashes are
// equal, hashPartition spreads them over 2, 3 and 7 partitions within 5%
// of even and their top 8 bits over 256 buckets within 20% (6 standard
// deviations of a uniform hash).
func TestKeyHashSpreads(t *testing.T) {
	const n = 1 << 18
	hashes := make([]uint64, 0, n)
	parts := map[int][]int{2: make([]int, 2), 3: make([]int, 3), 7: make([]int, 7), 256: make([]int, 256)}
	var key []byte
	for i := range n {
		key = fmt.Appendf(key[:0], "w%d", i)
		h := keyHash(key)
		hashes = append(hashes, h)
		for p, counts := range parts {
			if p == 256 {
				counts[h>>56]++
			} else {
				counts[hashPartition(h, p)]++
			}
		}
	}
	slices.Sort(hashes)
	for i := 1; i < n; i++ {
		if hashes[i] == hashes[i-1] {
			t.Fatalf("two keys hash to %x", hashes[i])
		}
	}
	for p, counts := range parts {
		slack := n / p / 20
		if p == 256 {
			slack = n / p / 5
		}
		for i, c := range counts {
			if want := n / p; c < want-slack || c > want+slack {
				t.Fatalf("%d of %d keys in part %d of %d, want about %d", c, n, i, p, want)
			}
		}
	}
}
