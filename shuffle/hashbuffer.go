package shuffle

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
)

// hashBuffer collects an Unordered job's pairs by partition and orders
// each partition by keyHash of the key's encoding (then by the
// encoding): comparing two integers costs far less than comparing two
// keys, and equal keys still end up side by side. With a Combine it
// combines them, as buffer does, whenever it holds limit pairs and at
// the end.
//
// It encodes each pair once, as emitted, into the record its reducer
// reads (uvarint(len key) key uvarint(len value) value) at the end of
// one arena, and keeps for it only the key's hash and the record's
// offset: 16 bytes, half of what a pair with its key's place and its
// value took, so that ordering a word count task's partition moves a
// megabyte, which stays in the CPU's caches, and write copies the
// records as they are. (Placing pairs in buckets by the hash's top bits
// as they come, to order each bucket in the caches, cost word count
// more in emit, which then writes to hundreds of places at once, than it
// saved when ordering.)
type hashBuffer[K any, V any] struct {
	// part sends a key to its reducer; nil means hashPartition of its hash.
	part     func(K) int
	reducers int
	keys     Codec[K]
	values   Codec[V]
	combine  func(a, b V) V
	// parts holds each partition's pairs.
	parts [][]hashPair
	// arena holds the records; kept is where combineAll copies the ones it
	// keeps, swapped with arena after.
	arena, kept []byte
	// held is the number of pairs in parts, limit when to combine them.
	held, limit int
	err         error
	// enc, val, tmp and ends are scratch space of emit, sortPart and
	// combinePart.
	enc, val []byte
	tmp      []hashPair
	ends     []int
	// out collects records to write in pieces of about 1 MiB.
	out   []byte
	spare freeList[*hashBuffer[K, V]]
}

// hashPair is one pair of a hashBuffer: its record starts at arena[off]
// and h is keyHash of its key's encoding.
type hashPair struct {
	h   uint64
	off int
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
		parts: parts, arena: b.arena[:0], kept: b.kept[:0], limit: minCombineLimit,
		enc: b.enc[:0], val: b.val[:0], tmp: b.tmp[:0], ends: b.ends, out: b.out[:0], spare: spare}
	return b
}

// release gives the buffer to the free list it came from.
func (b *hashBuffer[K, V]) release() {
	if b.spare != nil {
		b.spare.put(b)
	}
}

func (b *hashBuffer[K, V]) emit(k K, v V) {
	b.enc = b.keys.Append(b.enc[:0], k)
	h := keyHash(b.enc)
	r := hashPartition(h, b.reducers)
	if b.part != nil {
		r = b.part(k)
	}
	if r < 0 || r >= b.reducers {
		if b.err == nil {
			b.err = fmt.Errorf("partition of key %v is %d, not in [0, %d)", k, r, b.reducers)
		}
		return
	}
	off := len(b.arena)
	b.arena = appendField(b.arena, b.enc)
	b.enc = b.values.Append(b.enc[:0], v)
	b.arena = appendField(b.arena, b.enc)
	b.parts[r] = append(b.parts[r], hashPair{h: h, off: off})
	b.held++
	if b.combine != nil && b.held >= b.limit {
		b.combineAll()
		b.limit = max(minCombineLimit, 2*b.held)
	}
}

// hashPartition returns the partition among n of a key of hash h: the
// low 32 bits of h scaled to [0, n), which costs a multiply where h % n
// costs a division. The high bits, which order a partition's pairs, are
// as spread in each partition as in all.
func hashPartition(h uint64, n int) int {
	if uint64(n) > math.MaxUint32 {
		return int(h % uint64(n))
	}
	return int((h & math.MaxUint32) * uint64(n) >> 32)
}

// appendField appends f to dst after its length as a uvarint.
func appendField(dst, f []byte) []byte {
	if len(f) < 0x80 {
		return append(append(dst, byte(len(f))), f...)
	}
	return append(binary.AppendUvarint(dst, uint64(len(f))), f...)
}

// field returns the field at b[off:] (its uvarint length, then its
// bytes) and the offset after it.
func field(b []byte, off int) ([]byte, int) {
	if c := b[off]; c < 0x80 {
		end := off + 1 + int(c)
		return b[off+1 : end], end
	}
	n, w := binary.Uvarint(b[off:])
	end := off + w + int(n)
	return b[off+w : end], end
}

// key returns the key encoding of the record at off.
func (b *hashBuffer[K, V]) key(off int) []byte {
	k, _ := field(b.arena, off)
	return k
}

// record returns the key encoding, the value encoding and the whole of
// the record at off.
func (b *hashBuffer[K, V]) record(off int) (key, val, rec []byte) {
	key, voff := field(b.arena, off)
	val, end := field(b.arena, voff)
	return key, val, b.arena[off:end]
}

// sortPart orders partition r by hash, then by key: it spreads the pairs
// over about as many buckets as there are pairs by their hash's top
// bits, in one pass, sorts each bucket, which holds a pair or two unless
// many pairs share a key, by hash, and then orders by key the pairs of
// one hash whose keys differ, which two keys of a 64-bit hash do about
// never. Keys are compared only within runs of one hash, once per pair.
func (b *hashBuffer[K, V]) sortPart(r int) {
	p := b.parts[r]
	n := len(p)
	if n <= 16 {
		sortByHash(p)
		b.orderRuns(p)
		return
	}
	width := uint(bits.Len(uint(n)))
	shift := 64 - width
	b.ends = slices.Grow(b.ends[:0], 1<<width+1)[:1<<width+1]
	ends := b.ends
	clear(ends)
	for _, q := range p {
		ends[q.h>>shift+1]++
	}
	for i := 1; i < len(ends); i++ {
		ends[i] += ends[i-1]
	}
	b.tmp = slices.Grow(b.tmp[:0], n)[:n]
	tmp := b.tmp
	for _, q := range p {
		i := q.h >> shift
		tmp[ends[i]] = q
		ends[i]++
	}
	start := 0
	for _, end := range ends[:len(ends)-1] {
		if end-start > 1 {
			sortByHash(tmp[start:end])
		}
		start = end
	}
	b.orderRuns(tmp)
	b.parts[r], b.tmp = tmp, p
}

// sortByHash sorts a few pairs by hash by insertion, more with
// slices.SortFunc.
func sortByHash(p []hashPair) {
	if len(p) > 16 {
		slices.SortFunc(p, func(x, y hashPair) int { return cmp.Compare(x.h, y.h) })
		return
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].h < p[j-1].h; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// orderRuns sorts by key each run of pairs of one hash in p, which is
// sorted by hash, unless all its keys are equal.
func (b *hashBuffer[K, V]) orderRuns(p []hashPair) {
	for i := 0; i < len(p)-1; i++ {
		if p[i+1].h != p[i].h {
			continue
		}
		n := 2
		for i+n < len(p) && p[i+n].h == p[i].h {
			n++
		}
		run := p[i : i+n]
		i += n - 1
		first := b.key(run[0].off)
		if !slices.ContainsFunc(run[1:], func(q hashPair) bool { return !bytes.Equal(b.key(q.off), first) }) {
			continue
		}
		slices.SortStableFunc(run, func(x, y hashPair) int { return bytes.Compare(b.key(x.off), b.key(y.off)) })
	}
}

// combineAll sorts and combines every partition, copying the records
// left to the spare arena, which then becomes the arena.
func (b *hashBuffer[K, V]) combineAll() {
	kept := b.kept[:0]
	if kept == nil {
		kept = make([]byte, 0, len(b.arena))
	}
	for r := range b.parts {
		kept = b.combinePart(r, kept)
	}
	b.arena, b.kept = kept, b.arena[:0]
}

// combinePart sorts partition r and combines the values of equal keys
// into one record. It appends the records left to kept, which it
// returns, unless kept is nil: the records then stay where they are in
// the arena, a combined one rewritten in place when its value's
// encoding keeps its length, else appended to the arena.
func (b *hashBuffer[K, V]) combinePart(r int, kept []byte) []byte {
	b.sortPart(r)
	p := b.parts[r]
	out := p[:0]
	for j := 0; j < len(p); {
		q := p[j]
		n := 1
		for j+n < len(p) && p[j+n].h == q.h && bytes.Equal(b.key(p[j+n].off), b.key(q.off)) {
			n++
		}
		switch {
		case n > 1:
			key, val, _ := b.record(q.off)
			val = b.combineValues(p[j:j+n], val)
			if kept != nil {
				q.off = len(kept)
				kept = appendRecord(kept, key, val)
			} else {
				q.off = b.rewrite(q.off, key, val)
			}
		case kept != nil:
			_, _, rec := b.record(q.off)
			q.off = len(kept)
			kept = append(kept, rec...)
		}
		out = append(out, q)
		j += n
	}
	b.held += len(out) - len(p)
	b.parts[r] = out
	return kept
}

// combineValues combines the values of the pairs of one key, the first
// of which is val, and returns the encoding of the result in b.val.
func (b *hashBuffer[K, V]) combineValues(p []hashPair, val []byte) []byte {
	acc, err := b.values.Decode(val)
	for _, q := range p[1:] {
		if err != nil {
			break
		}
		var v V
		_, vb, _ := b.record(q.off)
		if v, err = b.values.Decode(vb); err == nil {
			acc = b.combine(acc, v)
		}
	}
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("combine: decode value: %w", err)
	}
	b.val = b.values.Append(b.val[:0], acc)
	return b.val
}

// appendRecord appends the record of key and val to dst.
func appendRecord(dst, key, val []byte) []byte { return appendField(appendField(dst, key), val) }

// rewrite gives the record at off, of key, the value encoding val and
// returns the record's new offset: off when val is as long as the old
// value, which it overwrites, else the end of the arena, where it
// appends a new record.
func (b *hashBuffer[K, V]) rewrite(off int, key, val []byte) int {
	if _, old, _ := b.record(off); len(old) == len(val) {
		copy(old, val)
		return off
	}
	end := len(b.arena)
	b.arena = appendRecord(b.arena, key, val)
	return end
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

// write writes partition r's records.
func (b *hashBuffer[K, V]) write(w io.Writer, r int) (int64, error) {
	out := b.out[:0]
	var n int64
	for _, q := range b.parts[r] {
		_, _, rec := b.record(q.off)
		out = append(out, rec...)
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
