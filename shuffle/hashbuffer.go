package shuffle

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
)

// hashBuffer collects an Unordered job's pairs by partition, their keys
// encoded in one arena, and orders each partition by the
// hash of the key's encoding (then by the encoding): comparing two
// integers costs far less than comparing two keys, and equal keys still
// end up side by side. With a Combine it combines them, as buffer does,
// whenever it holds limit pairs and at the end.
type hashBuffer[K any, V any] struct {
	// part sends a key to its reducer; nil means the hash modulo reducers.
	part     func(K) int
	reducers int
	keys     Codec[K]
	values   Codec[V]
	combine  func(a, b V) V
	parts    [][]hashPair[V]
	arena    []byte
	// held is the number of pairs in parts, limit when to combine them.
	held, limit int
	err         error
	tmp         []hashPair[V]
	// out collects records to write in pieces of about 1 MiB.
	out []byte
	// ends is sortPart's count of pairs per bucket.
	ends  []int
	spare freeList[*hashBuffer[K, V]]
}

// hashPair is one pair of a hashBuffer: its key's encoding is
// arena[off:off+n] and h is fnv64 of it.
type hashPair[V any] struct {
	h      uint64
	off, n int
	v      V
}

func newHashBuffer[K, V any](part func(K) int, reducers int, keys Codec[K], values Codec[V], combine func(a, b V) V) *hashBuffer[K, V] {
	var b *hashBuffer[K, V]
	return b.reset(part, reducers, keys, values, combine, nil)
}

// reset empties b, or a new buffer if b is nil, for a map task, keeping
// its slices' memory, and returns it; release gives it to spare, which
// may be nil.
func (b *hashBuffer[K, V]) reset(part func(K) int, reducers int, keys Codec[K], values Codec[V], combine func(a, b V) V, spare freeList[*hashBuffer[K, V]]) *hashBuffer[K, V] {
	if b == nil {
		b = &hashBuffer[K, V]{}
	}
	parts := slices.Grow(b.parts[:0], reducers)[:reducers]
	for r := range parts {
		parts[r] = parts[r][:0]
	}
	*b = hashBuffer[K, V]{part: part, reducers: reducers, keys: keys, values: values, combine: combine,
		parts: parts, arena: b.arena[:0], limit: minCombineLimit, tmp: b.tmp[:0], out: b.out[:0], ends: b.ends, spare: spare}
	return b
}

// release gives the buffer to the free list it came from. The values it
// held stay in its slices until they are reused.
func (b *hashBuffer[K, V]) release() {
	if b.spare != nil {
		b.spare.put(b)
	}
}

func (b *hashBuffer[K, V]) emit(k K, v V) {
	off := len(b.arena)
	b.arena = b.keys.Append(b.arena, k)
	h := fnv64(b.arena[off:])
	r := int(h % uint64(b.reducers))
	if b.part != nil {
		r = b.part(k)
	}
	if r < 0 || r >= b.reducers {
		if b.err == nil {
			b.err = fmt.Errorf("partition of key %v is %d, not in [0, %d)", k, r, b.reducers)
		}
		b.arena = b.arena[:off]
		return
	}
	b.parts[r] = append(b.parts[r], hashPair[V]{h: h, off: off, n: len(b.arena) - off, v: v})
	b.held++
	if b.combine != nil && b.held >= b.limit {
		b.combineAll()
		b.limit = max(minCombineLimit, 2*b.held)
	}
}

// sortPart orders partition r by hash, then by encoding: it spreads the
// pairs over about as many buckets as there are pairs by their hash's
// top bits, in one pass, and sorts each bucket, which holds a pair or
// two unless many pairs share a key.
func (b *hashBuffer[K, V]) sortPart(r int) {
	p := b.parts[r]
	if len(p) <= 64 {
		b.sortBucket(p)
		return
	}
	shift := 64 - bits.Len(uint(len(p)))
	b.ends = slices.Grow(b.ends[:0], 1<<(64-shift)+1)[:1<<(64-shift)+1]
	ends := b.ends
	clear(ends)
	for _, q := range p {
		ends[q.h>>shift+1]++
	}
	for i := 1; i < len(ends); i++ {
		ends[i] += ends[i-1]
	}
	b.tmp = slices.Grow(b.tmp[:0], len(p))[:len(p)]
	for _, q := range p {
		b.tmp[ends[q.h>>shift]] = q
		ends[q.h>>shift]++
	}
	b.parts[r], b.tmp = b.tmp, p
	start := 0
	for _, end := range ends[:len(ends)-1] {
		b.sortBucket(b.parts[r][start:end])
		start = end
	}
}

// sortBucket sorts a few pairs by insertion, more with slices.SortFunc.
func (b *hashBuffer[K, V]) sortBucket(p []hashPair[V]) {
	if len(p) > 16 {
		slices.SortFunc(p, func(x, y hashPair[V]) int {
			if x.h != y.h {
				return cmp.Compare(x.h, y.h)
			}
			return bytes.Compare(b.key(&x), b.key(&y))
		})
		return
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && b.less(&p[j], &p[j-1]); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

func (b *hashBuffer[K, V]) less(x, y *hashPair[V]) bool {
	if x.h != y.h {
		return x.h < y.h
	}
	return bytes.Compare(b.key(x), b.key(y)) < 0
}

func (b *hashBuffer[K, V]) key(p *hashPair[V]) []byte { return b.arena[p.off : p.off+p.n] }

// combineAll sorts each partition and combines the values of equal keys,
// keeping in the arena only the keys left.
func (b *hashBuffer[K, V]) combineAll() {
	kept := make([]byte, 0, len(b.arena))
	for r := range b.parts {
		kept = b.combinePart(r, kept)
	}
	b.arena = kept
}

// combinePart sorts partition r and combines the values of equal keys.
// It appends the keys left to kept, which it returns, unless kept is
// nil: the keys then stay where they are in the arena.
func (b *hashBuffer[K, V]) combinePart(r int, kept []byte) []byte {
	b.sortPart(r)
	p := b.parts[r]
	out := p[:0]
	for _, q := range p {
		key := b.key(&q)
		if n := len(out); n > 0 && out[n-1].h == q.h && bytes.Equal(b.keyIn(kept, &out[n-1]), key) {
			out[n-1].v = b.combine(out[n-1].v, q.v)
			continue
		}
		if kept != nil {
			q.off = len(kept)
			kept = append(kept, key...)
		}
		out = append(out, q)
	}
	b.held += len(out) - len(p)
	b.parts[r] = out
	return kept
}

// keyIn returns p's key in kept, or in the arena when kept is nil.
func (b *hashBuffer[K, V]) keyIn(kept []byte, p *hashPair[V]) []byte {
	if kept == nil {
		return b.key(p)
	}
	return kept[p.off : p.off+p.n]
}

// finish orders each partition, combined per key with a Combine.
func (b *hashBuffer[K, V]) finish() error {
	for r := range b.parts {
		if b.combine != nil {
			b.combinePart(r, nil)
		} else {
			b.sortPart(r)
		}
	}
	return b.err
}

func (b *hashBuffer[K, V]) size(r int) int { return len(b.parts[r]) }

// write writes partition r's pairs as records.
func (b *hashBuffer[K, V]) write(w io.Writer, r int) (int64, error) {
	arena, out := b.arena, b.out[:0]
	var v []byte
	var n int64
	for _, p := range b.parts[r] {
		v = b.values.Append(v[:0], p.v)
		out = binary.AppendUvarint(out, uint64(p.n))
		out = append(out, arena[p.off:p.off+p.n]...)
		out = binary.AppendUvarint(out, uint64(len(v)))
		out = append(out, v...)
		if len(out) >= 1<<20 {
			if _, err := w.Write(out); err != nil {
				return n, err
			}
			n += int64(len(out))
			out = out[:0]
		}
	}
	b.out = out
	if _, err := w.Write(out); err != nil {
		return n, err
	}
	return n + int64(len(out)), nil
}
