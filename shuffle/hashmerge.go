package shuffle

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/overcast-sc/overcast"
)

// hashRun is one intermediate object of an Unordered job being read: its
// current record's key encoding, the key's hash and the value encoding,
// which point into the run's buffer until the next record.
type hashRun struct {
	rd       io.ReadCloser
	idx      int
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
			r.h = fnv64(r.key)
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

// hashRunHeap is a binary heap of runs ordered by the hash of their
// current key, then by the key's encoding, as hashBuffer ordered them,
// then by map task. Its methods are direct calls, not container/heap's
// interface calls: the heap moves once per record.
type hashRunHeap []*hashRun

func (h hashRunHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.h != b.h {
		return a.h < b.h
	}
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.idx < b.idx
}

// down moves run i down to its place.
func (h hashRunHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h.less(c+1, c) {
			c++
		}
		if !h.less(c, i) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (h hashRunHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// dropTop removes the smallest run.
func (h *hashRunHeap) dropTop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	h.down(0)
}

// hashMerger merges hash-ordered runs into groups of one key.
type hashMerger[V any] struct {
	h    hashRunHeap
	vals Codec[V]
	err  error
	// cur and curH are the key of the group being read.
	cur   []byte
	curH  uint64
	nvals int64
}

// advance moves the smallest run to its next record.
func (m *hashMerger[V]) advance() {
	top := m.h[0]
	ok, err := top.next()
	switch {
	case err != nil:
		m.err = err
		top.rd.Close()
		m.h.dropTop()
	case ok:
		m.h.down(0)
	default:
		top.rd.Close()
		m.h.dropTop()
	}
	m.nvals++
}

// inGroup reports whether the smallest run holds the current key.
func (m *hashMerger[V]) inGroup() bool {
	return m.err == nil && len(m.h) > 0 && m.h[0].h == m.curH && bytes.Equal(m.h[0].key, m.cur)
}

// values yields the values of the current key; it is made once and
// reused for every key.
func (m *hashMerger[V]) values(yield func(V) bool) {
	for m.inGroup() {
		v, err := m.vals.Decode(m.h[0].val)
		if err != nil {
			m.err = fmt.Errorf("decode value: %w", err)
			return
		}
		m.advance()
		if !yield(v) {
			return
		}
	}
}

func (m *hashMerger[V]) close() {
	for _, r := range m.h {
		r.rd.Close()
	}
}

// reduceHashed merges the partition's hash-ordered objects and calls
// Reduce on each key; it returns the keys and values it read.
func (j *Job[K, V]) reduceHashed(ctx context.Context, in reduceInput, out io.Writer) (keys, values int64, err error) {
	m, err := openHashRuns[V](ctx, in, j.Values)
	if err != nil {
		return 0, 0, err
	}
	defer m.close()
	vals := m.values
	for m.err == nil && len(m.h) > 0 {
		m.cur, m.curH = append(m.cur[:0], m.h[0].key...), m.h[0].h
		k, err := j.Keys.Decode(m.cur)
		if err != nil {
			return 0, 0, fmt.Errorf("decode key: %w", err)
		}
		if err := j.Reduce(ctx, k, vals, out); err != nil {
			return 0, 0, err
		}
		for m.inGroup() { // the values Reduce left
			m.advance()
		}
		keys++
	}
	return keys, m.nvals, m.err
}

// openHashRuns opens the partition's objects and reads each one's first
// record.
func openHashRuns[V any](ctx context.Context, in reduceInput, vals Codec[V]) (*hashMerger[V], error) {
	b, err := overcast.OpenBucket(ctx, in.Storage)
	if err != nil {
		return nil, err
	}
	m := &hashMerger[V]{vals: vals}
	for i, key := range in.Inputs {
		rd, err := b.NewReader(ctx, key, nil)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		r := &hashRun{rd: rd, idx: i, buf: make([]byte, 256<<10)}
		ok, err := r.next()
		if err != nil || !ok {
			rd.Close()
			if err != nil {
				m.close()
				return nil, fmt.Errorf("read %s: %w", key, err)
			}
			continue
		}
		m.h = append(m.h, r)
	}
	m.h.init()
	return m, nil
}
