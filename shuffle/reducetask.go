package shuffle

import (
	"bufio"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"iter"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// reduceInput is what the driver sends a reduce task: exactly its
// partition's regions of the objects the winning map attempts wrote, in
// map order, none empty. A region of negative Length is a whole object
// (see mapOutput.Parts).
type reduceInput struct {
	Job     string           `json:"job"`
	Storage string           `json:"storage"`
	Part    int              `json:"part"`
	Inputs  []overcast.Range `json:"inputs"`
	// OutBucket and OutPrefix say where the output goes; no OutBucket
	// means nowhere.
	OutBucket string `json:"out_bucket,omitempty"`
	OutPrefix string `json:"out_prefix,omitempty"`
}

// reduceOutput names what a reduce attempt wrote.
type reduceOutput struct {
	Output   string           `json:"output,omitempty"`
	Counters map[string]int64 `json:"counters,omitempty"`
}

// run is one sorted region of an intermediate object being read.
type run[K, V any] struct {
	r   *bufio.Reader
	rc  io.Closer
	idx int
	key K
	val V
	buf []byte
}

// next reads the run's next pair; it returns false at the run's end.
func (r *run[K, V]) next(kc Codec[K], vc Codec[V]) (bool, error) {
	kb, err := r.field(true)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.key, err = kc.Decode(kb); err != nil {
		return false, fmt.Errorf("decode key: %w", err)
	}
	vb, err := r.field(false)
	if err != nil {
		return false, err
	}
	if r.val, err = vc.Decode(vb); err != nil {
		return false, fmt.Errorf("decode value: %w", err)
	}
	return true, nil
}

// field reads one length-prefixed field. Only the first field of a
// record may meet the end of the object.
func (r *run[K, V]) field(first bool) ([]byte, error) {
	var err error
	r.buf, err = readField(r.r, r.buf, first)
	return r.buf, err
}

// readField reads one length-prefixed field into buf, which it returns,
// grown as needed. Only a first field may meet the end of the object.
func readField(br *bufio.Reader, buf []byte, first bool) ([]byte, error) {
	n, err := binary.ReadUvarint(br)
	if err == io.EOF && first {
		return buf[:0], io.EOF
	}
	if err != nil {
		return buf[:0], fmt.Errorf("read record: %w", noEOF(err))
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return buf[:0], fmt.Errorf("read record: %w", noEOF(err))
	}
	return buf, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// runHeap orders runs by their current key, then by map task, so that a
// key's values come in map order.
type runHeap[K cmp.Ordered, V any] []*run[K, V]

func (h runHeap[K, V]) Len() int { return len(h) }
func (h runHeap[K, V]) Less(i, j int) bool {
	if c := cmp.Compare(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h runHeap[K, V]) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap[K, V]) Push(x any)   { *h = append(*h, x.(*run[K, V])) }
func (h *runHeap[K, V]) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merger merges runs into groups of one key.
type merger[K cmp.Ordered, V any] struct {
	h     runHeap[K, V]
	keys  Codec[K]
	vals  Codec[V]
	err   error
	nvals int64
}

// advance moves the smallest run to its next pair.
func (m *merger[K, V]) advance() {
	top := m.h[0]
	ok, err := top.next(m.keys, m.vals)
	switch {
	case err != nil:
		m.err = err
		heap.Pop(&m.h)
	case ok:
		heap.Fix(&m.h, 0)
	default:
		top.rc.Close()
		heap.Pop(&m.h)
	}
}

// values yields the values of key while the smallest run holds it.
func (m *merger[K, V]) values(key K) iter.Seq[V] {
	return func(yield func(V) bool) {
		for m.err == nil && len(m.h) > 0 && cmp.Compare(m.h[0].key, key) == 0 {
			v := m.h[0].val
			m.advance()
			m.nvals++
			if !yield(v) {
				return
			}
		}
	}
}

// skip passes over the values of key that Reduce left.
func (m *merger[K, V]) skip(key K) {
	for m.err == nil && len(m.h) > 0 && cmp.Compare(m.h[0].key, key) == 0 {
		m.advance()
		m.nvals++
	}
}

func (m *merger[K, V]) close() {
	for _, r := range m.h {
		r.rc.Close()
	}
}

func (j *Job[K, V]) reduceTask(ctx context.Context, in reduceInput) (reduceOutput, error) {
	ctx, counters := withCounters(ctx)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, commit, key, err := openOutput(wctx, in)
	if err != nil {
		return reduceOutput{}, err
	}
	reduce := j.reduceMerged
	if j.Unordered {
		reduce = j.reduceHashed
	}
	keys, values, err := reduce(ctx, in, out)
	if err != nil {
		cancel() // abandon the output
		commit()
		return reduceOutput{}, err
	}
	counters["keys"] += keys
	counters["values"] += values
	for _, rg := range in.Inputs {
		if rg.Length != 0 {
			counters["shuffle_reads"]++
		}
	}
	n, err := commit()
	if err != nil {
		return reduceOutput{}, err
	}
	counters["output_bytes"] += n
	return reduceOutput{Output: key, Counters: counters}, nil
}

// reduceMerged merges the partition's sorted objects and calls Reduce on
// each key in increasing order; it returns the keys and values it read.
func (j *Job[K, V]) reduceMerged(ctx context.Context, in reduceInput, out io.Writer) (keys, values int64, err error) {
	m, err := j.openRuns(ctx, in)
	if err != nil {
		return 0, 0, err
	}
	defer m.close()
	for m.err == nil && len(m.h) > 0 {
		k := m.h[0].key
		if err := j.Reduce(ctx, k, m.values(k), out); err != nil {
			return 0, 0, err
		}
		m.skip(k)
		keys++
	}
	return keys, m.nvals, m.err
}

// openRuns opens the partition's objects and reads each one's first pair.
func (j *Job[K, V]) openRuns(ctx context.Context, in reduceInput) (*merger[K, V], error) {
	b, err := overcast.OpenBucket(ctx, in.Storage)
	if err != nil {
		return nil, err
	}
	m := &merger[K, V]{keys: j.Keys, vals: j.Values}
	for i, rg := range in.Inputs {
		if rg.Length == 0 {
			continue
		}
		rd, _, err := openRegion(ctx, b, rg)
		if err != nil {
			m.close()
			return nil, err
		}
		r := &run[K, V]{r: bufio.NewReaderSize(rd, 256<<10), rc: rd, idx: i}
		ok, err := r.next(j.Keys, j.Values)
		if err != nil || !ok {
			rd.Close()
			if err != nil {
				m.close()
				return nil, fmt.Errorf("read %s: %w", rg.Key, err)
			}
			continue
		}
		m.h = append(m.h, r)
	}
	heap.Init(&m.h)
	return m, nil
}

// onRead, when set by a test, sees each region of an object that a task
// reads with one request: the regions of intermediate objects reducers
// read, and a record map task's input.
var onRead func(rg overcast.Range)

// openRegion opens a region of an intermediate object with one ranged
// read and returns it with its size; a region of negative Length is the
// whole object. An object too short for the region is an error, not a
// short partition.
func openRegion(ctx context.Context, b *storage.Bucket, rg overcast.Range) (*storage.Reader, int64, error) {
	if onRead != nil {
		onRead(rg)
	}
	rd, err := b.NewRangeReader(ctx, rg.Key, rg.Offset, rg.Length, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", rg.Key, err)
	}
	if rg.Length < 0 {
		return rd, rd.Size() - rg.Offset, nil
	}
	if end := rg.Offset + rg.Length; rd.Size() < end {
		rd.Close()
		return nil, 0, fmt.Errorf("read %s: the object holds %d bytes, not the %d its region ends at", rg.Key, rd.Size(), end)
	}
	return rd, rg.Length, nil
}

// countingWriter counts what goes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// openOutput opens the reducer's output object under a name of this
// attempt's own, and returns the writer, the function that commits it
// (or abandons it once ctx is canceled) and its key.
func openOutput(ctx context.Context, in reduceInput) (io.Writer, func() (int64, error), string, error) {
	if in.OutBucket == "" {
		cw := &countingWriter{w: io.Discard}
		return cw, func() (int64, error) { return cw.n, nil }, "", nil
	}
	b, err := overcast.OpenBucket(ctx, in.OutBucket)
	if err != nil {
		return nil, nil, "", err
	}
	key := fmt.Sprintf("%spart-%05d-%s", in.OutPrefix, in.Part, attemptID(ctx))
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return nil, nil, "", fmt.Errorf("write %s: %w", key, err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countingWriter{w: bw}
	commit := func() (int64, error) {
		ferr := bw.Flush()
		if err := w.Close(); err != nil || ferr != nil {
			return 0, fmt.Errorf("write %s: %w", key, cmp.Or(ferr, err))
		}
		return cw.n, nil
	}
	return cw, commit, key, nil
}
