package shuffle

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/overcast-sc/overcast"
)

// hashRun is one intermediate object of an Unordered job being read: its
// current record's key encoding, the key's hash and the value encoding,
// which point into the run's buffer until the next record.
type hashRun struct {
	rd       io.ReadCloser
	h        uint64
	key, val []byte
	// buf[pos:end] is read and not yet parsed.
	buf      []byte
	pos, end int
	eof      bool
}

// next parses the run's next record, reading more of the object when
// the buffer holds no whole record; it returns false at the run's end.
func (r *hashRun) next() (bool, error) {
	for {
		n, err := r.parse(r.buf[r.pos:r.end])
		if err != nil {
			return false, err
		}
		if n > 0 {
			r.pos += n
			r.h = keyHash(r.key)
			return true, nil
		}
		if r.eof {
			if r.pos < r.end {
				return false, fmt.Errorf("read record: %w", io.ErrUnexpectedEOF)
			}
			return false, nil
		}
		if err := r.fill(); err != nil {
			return false, err
		}
	}
}

// parse cuts one record off the front of b and returns its size, or 0
// when b does not hold a whole one.
func (r *hashRun) parse(b []byte) (int, error) {
	kn, i := binary.Uvarint(b)
	if i <= 0 || kn > uint64(len(b)-i) {
		return 0, overflow(i)
	}
	key := b[i : i+int(kn)]
	b = b[i+int(kn):]
	vn, j := binary.Uvarint(b)
	if j <= 0 || vn > uint64(len(b)-j) {
		return 0, overflow(j)
	}
	r.key, r.val = key, b[j:j+int(vn)]
	return i + int(kn) + j + int(vn), nil
}

// overflow is the error of a record length that binary.Uvarint could not
// read for the reason n says: none for a cut one, which more bytes may
// complete.
func overflow(n int) error {
	if n < 0 {
		return fmt.Errorf("read record: length overflows 64 bits")
	}
	return nil
}

// fill moves the unparsed bytes to the front of the buffer, grows it if
// they fill it, and reads once more.
func (r *hashRun) fill() error {
	r.end = copy(r.buf, r.buf[r.pos:r.end])
	r.pos = 0
	if r.end == len(r.buf) {
		r.buf = append(r.buf, make([]byte, len(r.buf))...)
	}
	n, err := r.rd.Read(r.buf[r.end:])
	r.end += n
	if err == io.EOF {
		r.eof = true
	} else if err != nil {
		return fmt.Errorf("read record: %w", err)
	}
	return nil
}

// A reducer of an Unordered job reads its partition's objects, each in
// (hash, key) order, slice by slice of the hash space: it copies the
// records of one slice from every object, in map task order, into a
// batch small enough to stay in the CPU's caches, orders the batch by
// hash then key (stably, so that a key's values stay in map task order)
// and hands each key to Reduce. The keys come out in the order a k-way
// merge of the objects would give, at a fraction of its cost: a merge
// compares the current keys of many objects for every record, and takes
// each record from another object's buffer.

// batchRecords is the number of records a batch aims at.
const batchRecords = 4096

// recordBytes is a guess at the size of an intermediate record, which
// sets the slices' width from the objects' sizes.
const recordBytes = 16

// sliceShift returns the shift that cuts the hash space into slices of
// about batchRecords records each, for objects of size bytes in all.
func sliceShift(size int64) uint {
	n := max(1, size/recordBytes/batchRecords)
	return uint(64 - min(bits.Len64(uint64(n)), 48))
}

// batchRecord is one record of a batch: its key is arena[off:off+kn],
// its value the vn bytes that follow.
type batchRecord struct {
	h      uint64
	off    int
	kn, vn uint32
}

// hashBatch holds the records of one slice of the hash space.
type hashBatch struct {
	recs, tmp []batchRecord
	arena     []byte
	ends      []int
}

func (b *hashBatch) reset() {
	b.recs, b.arena = b.recs[:0], b.arena[:0]
}

// add copies run r's current record into the batch.
func (b *hashBatch) add(r *hashRun) {
	b.recs = append(b.recs, batchRecord{h: r.h, off: len(b.arena), kn: uint32(len(r.key)), vn: uint32(len(r.val))})
	b.arena = append(append(b.arena, r.key...), r.val...)
}

func (b *hashBatch) key(r *batchRecord) []byte { return b.arena[r.off : r.off+int(r.kn)] }

func (b *hashBatch) val(r *batchRecord) []byte {
	return b.arena[r.off+int(r.kn) : r.off+int(r.kn)+int(r.vn)]
}

func (b *hashBatch) less(x, y *batchRecord) bool {
	if x.h != y.h {
		return x.h < y.h
	}
	return bytes.Compare(b.key(x), b.key(y)) < 0
}

// sort orders the batch stably by hash, then key. Its hashes share their
// bits above shift; it spreads the records over about as many buckets
// as there are records by the bits below, in one stable pass, and sorts
// each bucket, which holds a record or two unless many share a key.
func (b *hashBatch) sort(shift uint) {
	n := len(b.recs)
	if n <= 16 || shift == 0 {
		b.sortBucket(b.recs)
		return
	}
	width := min(uint(bits.Len(uint(n))), shift)
	low := shift - width
	mask := uint64(1)<<width - 1
	b.ends = slices.Grow(b.ends[:0], 1<<width+1)[:1<<width+1]
	clear(b.ends)
	for i := range b.recs {
		b.ends[(b.recs[i].h>>low)&mask+1]++
	}
	for i := 1; i < len(b.ends); i++ {
		b.ends[i] += b.ends[i-1]
	}
	b.tmp = slices.Grow(b.tmp[:0], n)[:n]
	for _, r := range b.recs {
		i := (r.h >> low) & mask
		b.tmp[b.ends[i]] = r
		b.ends[i]++
	}
	b.recs, b.tmp = b.tmp, b.recs
	start := 0
	for _, end := range b.ends[:len(b.ends)-1] {
		b.sortBucket(b.recs[start:end])
		start = end
	}
}

// sortBucket sorts a few records stably by insertion, more with
// slices.SortStableFunc.
func (b *hashBatch) sortBucket(p []batchRecord) {
	if len(p) > 16 {
		slices.SortStableFunc(p, func(x, y batchRecord) int {
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

// hashMerger reads an Unordered job's partition batch by batch and
// yields the values of one key at a time.
type hashMerger[V any] struct {
	// runs are the objects not read to their end, in map task order, each
	// on its next record.
	runs  []*hashRun
	shift uint
	batch hashBatch
	// next is the index in the batch of the first record after the
	// current key's group.
	next int
	vals Codec[V]
	// group is the batch's records of the current key.
	group []batchRecord
	err   error
	nvals int64
}

// add adds an object to the merge, after the others, and reads its first
// record; it closes an empty one.
func (m *hashMerger[V]) add(rd io.ReadCloser) error {
	r := &hashRun{rd: rd, buf: make([]byte, 64<<10)}
	ok, err := r.next()
	if err != nil || !ok {
		rd.Close()
		return err
	}
	m.runs = append(m.runs, r)
	return nil
}

// fill reads the next slice of the hash space that holds records into
// the batch and orders it; it returns false when every run has ended.
func (m *hashMerger[V]) fill() (bool, error) {
	if len(m.runs) == 0 {
		return false, nil
	}
	s := m.runs[0].h >> m.shift
	for _, r := range m.runs[1:] {
		s = min(s, r.h>>m.shift)
	}
	m.batch.reset()
	m.next = 0
	live := m.runs[:0]
	for _, r := range m.runs {
		ok := true
		for ok && r.h>>m.shift == s {
			m.batch.add(r)
			var err error
			if ok, err = r.next(); err != nil {
				return false, err
			}
		}
		if ok {
			live = append(live, r)
		} else {
			r.rd.Close()
		}
	}
	clear(m.runs[len(live):])
	m.runs = live
	m.batch.sort(m.shift)
	m.nvals += int64(len(m.batch.recs))
	return true, nil
}

// nextKey moves to the next key and returns its encoding, which holds
// until the next call; it returns false at the partition's end.
func (m *hashMerger[V]) nextKey() ([]byte, bool, error) {
	if m.err != nil {
		return nil, false, m.err
	}
	if m.next == len(m.batch.recs) {
		if ok, err := m.fill(); err != nil || !ok {
			m.err = err
			return nil, false, err
		}
	}
	recs := m.batch.recs[m.next:]
	key := m.batch.key(&recs[0])
	n := 1
	for n < len(recs) && recs[n].h == recs[0].h && bytes.Equal(m.batch.key(&recs[n]), key) {
		n++
	}
	m.group = recs[:n]
	m.next += n
	return key, true, nil
}

// values yields the values of the current key; it is made once and
// reused for every key.
func (m *hashMerger[V]) values(yield func(V) bool) {
	for i := range m.group {
		v, err := m.vals.Decode(m.batch.val(&m.group[i]))
		if err != nil {
			m.err = fmt.Errorf("decode value: %w", err)
			return
		}
		if !yield(v) {
			return
		}
	}
}

func (m *hashMerger[V]) close() {
	for _, r := range m.runs {
		r.rd.Close()
	}
	m.runs = nil
}

// reduceHashed reads the partition's hash-ordered objects and calls
// Reduce on each key, in the order of their hashes; it returns the keys
// and values it read.
func (j *Job[K, V]) reduceHashed(ctx context.Context, in reduceInput, out io.Writer) (keys, values int64, err error) {
	m, err := openHashRuns[V](ctx, in, j.Values)
	if err != nil {
		return 0, 0, err
	}
	defer m.close()
	vals := m.values
	for {
		kb, ok, err := m.nextKey()
		if err != nil || !ok {
			return keys, m.nvals, err
		}
		var k K
		if j.borrow != nil {
			k = j.borrow(kb)
		} else if k, err = j.Keys.Decode(kb); err != nil {
			return 0, 0, fmt.Errorf("decode key: %w", err)
		}
		if err := j.Reduce(ctx, k, vals, out); err != nil {
			return 0, 0, err
		}
		keys++
	}
}

// openHashRuns opens the partition's regions and reads each one's first
// record.
func openHashRuns[V any](ctx context.Context, in reduceInput, vals Codec[V]) (*hashMerger[V], error) {
	b, err := overcast.OpenBucket(ctx, in.Storage)
	if err != nil {
		return nil, err
	}
	m := &hashMerger[V]{vals: vals}
	var size int64
	for _, rg := range in.Inputs {
		if rg.Length == 0 {
			continue
		}
		rd, n, err := openRegion(ctx, b, rg)
		if err != nil {
			m.close()
			return nil, err
		}
		size += n
		if err := m.add(rd); err != nil {
			m.close()
			return nil, fmt.Errorf("read %s: %w", rg.Key, err)
		}
	}
	m.shift = sliceShift(size)
	return m, nil
}
