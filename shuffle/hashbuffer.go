package shuffle

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
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
	// enc (a key's encoding), val, tmp and ends are scratch space of
	// emit, sortPart and combinePart.
	enc, val []byte
	tmp      []hashPair
	ends     []uint32
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
	voff := len(b.arena)
	b.arena = putLength(b.values.Append(append(b.arena, 0), v), voff)
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

// putLength writes the length of the field that follows arena[off] as
// a uvarint at arena[off], where one byte was left for it, moving the
// field on when the length takes more than that byte. (emit encodes a
// key apart, to hash it, and then appends it after its length, but a
// value straight into the arena: reading back at once bytes just
// written to the arena would wait for them.)
func putLength(arena []byte, off int) []byte {
	n := len(arena) - off - 1
	if n < 0x80 {
		arena[off] = byte(n)
		return arena
	}
	w := (bits.Len64(uint64(n)) + 6) / 7
	arena = append(arena, make([]byte, w-1)...)
	copy(arena[off+w:], arena[off+1:off+1+n])
	binary.PutUvarint(arena[off:], uint64(n))
	return arena
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

// sortPart orders partition r by hash, then by key. It compares keys
// only within runs of one hash, once per pair unless two keys share a
// hash, which two keys of a 64-bit hash about never do.
func (b *hashBuffer[K, V]) sortPart(r int) {
	b.hashOrder(r)
	for run := range hashRuns(b.parts[r]) {
		if len(run) > 1 && !b.sameKeys(run) {
			b.sortRun(run)
		}
	}
}

// hashOrder orders partition r by hash: it spreads the pairs over half
// to one bucket per pair by their hash's top bits, in one pass, and
// sorts each bucket, which holds a pair or two unless many pairs share a
// key. The buckets' ends are 32-bit, to keep them with the pairs in the
// CPU's caches.
func (b *hashBuffer[K, V]) hashOrder(r int) {
	p := b.parts[r]
	n := len(p)
	if n <= 16 || n > math.MaxUint32 {
		sortByHash(p)
		return
	}
	width := uint(bits.Len(uint(n))) - 1
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
	start := uint32(0)
	for _, end := range ends[:len(ends)-1] {
		if end-start > 1 {
			sortByHash(tmp[start:end])
		}
		start = end
	}
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

// hashRuns yields the runs of pairs of one hash of p, which is sorted
// by hash.
func hashRuns(p []hashPair) iter.Seq[[]hashPair] {
	return func(yield func([]hashPair) bool) {
		for i := 0; i < len(p); {
			n := 1
			for i+n < len(p) && p[i+n].h == p[i].h {
				n++
			}
			if !yield(p[i : i+n]) {
				return
			}
			i += n
		}
	}
}

// sameKeys reports whether the pairs of run all have the same key.
func (b *hashBuffer[K, V]) sameKeys(run []hashPair) bool {
	if len(run) == 1 {
		return true
	}
	first := b.key(run[0].off)
	for _, q := range run[1:] {
		if !bytes.Equal(b.key(q.off), first) {
			return false
		}
	}
	return true
}

// sortRun sorts a run of pairs of one hash by key.
func (b *hashBuffer[K, V]) sortRun(run []hashPair) {
	slices.SortStableFunc(run, func(x, y hashPair) int { return bytes.Compare(b.key(x.off), b.key(y.off)) })
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
	b.hashOrder(r)
	p := b.parts[r]
	out := p[:0]
	for run := range hashRuns(p) {
		if len(run) == 1 && kept == nil {
			out = append(out, run[0])
			continue
		}
		same := b.sameKeys(run)
		if !same {
			b.sortRun(run)
		}
		for len(run) > 0 {
			n := len(run)
			if !same {
				n = 1
				for n < len(run) && bytes.Equal(b.key(run[n].off), b.key(run[0].off)) {
					n++
				}
			}
			var q hashPair
			q, kept = b.combineKey(run[:n], kept)
			out = append(out, q)
			run = run[n:]
		}
	}
	b.held += len(out) - len(p)
	b.parts[r] = out
	return kept
}

// combineKey combines the pairs of one key into the first, whose record
// it appends to kept unless kept is nil, and returns it and kept.
func (b *hashBuffer[K, V]) combineKey(p []hashPair, kept []byte) (hashPair, []byte) {
	q := p[0]
	switch {
	case len(p) > 1:
		key, val, _ := b.record(q.off)
		val = b.combineValues(p, val)
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
	return q, kept
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
		out = b.appendRecordAt(out, q.off)
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

// appendRecordAt appends the record at off to out. A record of at most
// 16 bytes with 16 bytes of arena from its start, as most of a word
// count's are, it copies as two 8-byte words, sparing a call to copy
// per record.
func (b *hashBuffer[K, V]) appendRecordAt(out []byte, off int) []byte {
	a := b.arena
	if off+16 <= len(a) && a[off] < 0x80 {
		if v := off + 1 + int(a[off]); v < off+16 && a[v] < 0x80 {
			if m := v + 1 + int(a[v]) - off; m <= 16 && cap(out)-len(out) >= 16 {
				n := len(out)
				out = out[:n+16]
				binary.LittleEndian.PutUint64(out[n:], binary.LittleEndian.Uint64(a[off:]))
				binary.LittleEndian.PutUint64(out[n+8:], binary.LittleEndian.Uint64(a[off+8:]))
				return out[:n+m]
			}
		}
	}
	_, _, rec := b.record(off)
	return append(out, rec...)
}
