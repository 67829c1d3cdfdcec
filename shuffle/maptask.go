package shuffle

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// mapInput is what the driver sends a map task.
type mapInput struct {
	Job      string `json:"job"`
	Storage  string `json:"storage"`
	Index    int    `json:"index"`
	Reducers int    `json:"reducers"`
	// Splitters are the range partitioning's keys, encoded with the key codec.
	Splitters [][]byte       `json:"splitters,omitempty"`
	Chunk     overcast.Chunk `json:"chunk"`
}

// mapOutput names what a map attempt wrote: one object holding its
// partitions one after another, partition r being bytes Ends[r-1] (0 for
// r = 0) to Ends[r]. Key is empty when every partition is.
type mapOutput struct {
	Key  string  `json:"key,omitempty"`
	Ends []int64 `json:"ends,omitempty"`
	// Parts is the layout of runs before Ends, one object per partition
	// ("" for an empty one), which a journal of such a run may hand back
	// on resume: each object is read whole.
	Parts    []string         `json:"parts,omitempty"`
	Counters map[string]int64 `json:"counters,omitempty"`
}

type pair[K, V any] struct {
	k K
	v V
}

// buffer collects a mapper's pairs by partition and, when the job has a
// Combine, combines them per key by sorting: whenever it holds limit
// pairs, and at the end. Sorting a partition's slice costs less than a
// map of every key, and a mapper that emits each key once (as word
// count's does) pays for one sort only.
type buffer[K cmp.Ordered, V any] struct {
	part     func(K) int
	reducers int
	combine  func(a, b V) V
	parts    [][]pair[K, V]
	// held is the number of pairs in parts, limit when to combine them.
	held, limit int
	err         error
	keys        Codec[K]
	values      Codec[V]
}

// minCombineLimit is the fewest pairs a buffer holds before combining.
const minCombineLimit = 1 << 18

func (b *buffer[K, V]) emit(k K, v V) {
	b.place(k, v)
	if b.combine != nil && b.held >= b.limit {
		b.combineAll()
		b.limit = max(minCombineLimit, 2*b.held)
	}
}

func (b *buffer[K, V]) place(k K, v V) {
	r := b.part(k)
	if r < 0 || r >= b.reducers {
		if b.err == nil {
			b.err = fmt.Errorf("partition of key %v is %d, not in [0, %d)", k, r, b.reducers)
		}
		return
	}
	b.parts[r] = append(b.parts[r], pair[K, V]{k, v})
	b.held++
}

// combineAll sorts each partition and combines the values of equal keys.
// Combine is associative and commutative, so the sort need not be stable.
func (b *buffer[K, V]) combineAll() {
	b.held = 0
	for r, p := range b.parts {
		slices.SortFunc(p, byKey)
		out := p[:0]
		for _, q := range p {
			if n := len(out); n > 0 && out[n-1].k == q.k {
				out[n-1].v = b.combine(out[n-1].v, q.v)
				continue
			}
			out = append(out, q)
		}
		clear(p[len(out):]) // let the dropped keys go
		b.parts[r] = out
		b.held += len(out)
	}
}

func byKey[K cmp.Ordered, V any](x, y pair[K, V]) int { return cmp.Compare(x.k, y.k) }

// finish sorts each partition by key: combined per key with a Combine,
// else in the order they were emitted among equal keys.
func (b *buffer[K, V]) finish() error {
	if b.combine != nil {
		b.combineAll()
		return b.err
	}
	for _, p := range b.parts {
		slices.SortStableFunc(p, byKey)
	}
	return b.err
}

func (b *buffer[K, V]) size(r int) int { return len(b.parts[r]) }

func (b *buffer[K, V]) release() {}

// partitioner returns the function that sends a key to its reducer.
func (j *Job[K, V]) partitioner(reducers int, splitters [][]byte) (func(K) int, error) {
	if len(splitters) > 0 {
		s := make([]K, len(splitters))
		for i, b := range splitters {
			k, err := j.Keys.Decode(b)
			if err != nil {
				return nil, fmt.Errorf("decode splitter %d: %w", i, err)
			}
			s[i] = k
		}
		return func(k K) int { return sort.Search(len(s), func(i int) bool { return s[i] > k }) }, nil
	}
	if j.Partition != nil {
		return func(k K) int { return j.Partition(k, reducers) }, nil
	}
	var scratch []byte
	return func(k K) int {
		scratch = j.Keys.Append(scratch[:0], k)
		return int(fnv64(scratch) % uint64(reducers))
	}, nil
}

// fnv64 is FNV-1a: the same in every process, unlike maphash.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// mapBuffer collects a mapper's pairs by partition in the order its
// reducers read them.
type mapBuffer[K, V any] interface {
	emit(k K, v V)
	// finish orders (and combines) the pairs once Map has returned.
	finish() error
	// size is the number of pairs of partition r, write writes them as
	// records and returns the bytes written.
	size(r int) int
	write(w io.Writer, r int) (int64, error)
	// release gives the buffer's memory to the next map task.
	release()
}

func (j *Job[K, V]) newBuffer(part func(K) int, reducers int, hashed bool) mapBuffer[K, V] {
	if j.Unordered {
		if hashed {
			part = nil // the buffer hashes the key itself
		}
		b, _ := j.spare.get()
		return b.reset(part, reducers, j.Keys, j.Values, j.Combine, j.spare)
	}
	return &buffer[K, V]{part: part, reducers: reducers, combine: j.Combine,
		parts: make([][]pair[K, V], reducers), limit: minCombineLimit, keys: j.Keys, values: j.Values}
}

func (j *Job[K, V]) mapTask(ctx context.Context, in mapInput) (mapOutput, error) {
	if in.Reducers < 1 {
		return mapOutput{}, fmt.Errorf("map: %d reducers", in.Reducers)
	}
	part, err := j.partitioner(in.Reducers, in.Splitters)
	if err != nil {
		return mapOutput{}, err
	}
	ctx, counters := withCounters(ctx)
	buf := j.newBuffer(part, in.Reducers, len(in.Splitters) == 0 && j.Partition == nil)
	defer buf.release()
	if err := j.Map(ctx, in.Chunk, buf.emit); err != nil {
		return mapOutput{}, err
	}
	if err := buf.finish(); err != nil {
		return mapOutput{}, err
	}
	return writeMapOutput(ctx, in, buf, counters)
}

// writeMapOutput writes the buffer's partitions one after another as one
// object under a name of the attempt's own, unless all are empty, and
// returns its name and where each partition ends in it.
func writeMapOutput[K, V any](ctx context.Context, in mapInput, buf mapBuffer[K, V], counters map[string]int64) (mapOutput, error) {
	out := mapOutput{Ends: make([]int64, in.Reducers), Counters: counters}
	var pairs int64
	for r := range in.Reducers {
		pairs += int64(buf.size(r))
	}
	if pairs == 0 {
		return out, nil
	}
	b, err := overcast.OpenBucket(ctx, in.Storage)
	if err != nil {
		return mapOutput{}, err
	}
	out.Key = mapObjectKey(in.Job, in.Index, attemptID(ctx))
	n, err := writeRun(ctx, b, out.Key, func(w io.Writer) (int64, error) { return writeParts(w, buf, out.Ends) })
	if err != nil {
		return mapOutput{}, err
	}
	counters["pairs"] += pairs
	counters["shuffle_bytes"] += n
	counters["shuffle_objects"]++
	if afterWrite != nil {
		if err := afterWrite(ctx, in.Index, out.Key); err != nil {
			return mapOutput{}, err
		}
	}
	return out, nil
}

// writeParts writes the buffer's partitions one after another, sets
// ends[r] to where partition r ends, and returns the bytes written.
func writeParts[K, V any](w io.Writer, buf mapBuffer[K, V], ends []int64) (int64, error) {
	var off int64
	for r := range ends {
		if buf.size(r) > 0 {
			n, err := buf.write(w, r)
			off += n
			if err != nil {
				return off, err
			}
		}
		ends[r] = off
	}
	return off, nil
}

// afterWrite, when set by a test, runs after a map attempt has written
// its object, named key: a failing attempt that has written its output.
var afterWrite func(ctx context.Context, index int, key string) error

// writeRun writes one object of records uvarint(len key) key uvarint(len
// value) value, which write makes, and returns its size.
func writeRun(ctx context.Context, b *storage.Bucket, key string, write func(io.Writer) (int64, error)) (int64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	bw := getWriter(w)
	defer putWriter(bw)
	n, err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		cancel() // abandon the object
		w.Close()
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	return n, nil
}

// write writes partition r's pairs as records.
func (b *buffer[K, V]) write(w io.Writer, r int) (int64, error) {
	enc := &recordWriter[K, V]{keys: b.keys, values: b.values}
	var n int64
	for _, p := range b.parts[r] {
		rec := enc.encode(p.k, p.v)
		if _, err := w.Write(rec); err != nil {
			return n, err
		}
		n += int64(len(rec))
	}
	return n, nil
}

// recordWriter encodes pairs as records.
type recordWriter[K, V any] struct {
	keys      Codec[K]
	values    Codec[V]
	rec, k, v []byte
}

func (w *recordWriter[K, V]) encode(k K, v V) []byte {
	w.k = w.keys.Append(w.k[:0], k)
	w.v = w.values.Append(w.v[:0], v)
	w.rec = binary.AppendUvarint(w.rec[:0], uint64(len(w.k)))
	w.rec = append(w.rec, w.k...)
	w.rec = binary.AppendUvarint(w.rec, uint64(len(w.v)))
	return append(w.rec, w.v...)
}

// attemptID names one attempt of a task uniquely: its attempt number,
// which differs between a task's copies, and random bytes, which differ
// between runs.
func attemptID(ctx context.Context) string {
	var b [4]byte
	_, _ = crand.Read(b[:])
	n := 0
	if r := worker.RequestFrom(ctx); r != nil {
		n = r.Attempt
	}
	return fmt.Sprintf("a%d-%s", n, hex.EncodeToString(b[:]))
}

// mapObjectKey names map task index's object, after one of 65,536
// hashed prefixes. The prefixes end in "-", not "/": an object store
// spreads the keys as well either way, and a file bucket keeps them all
// in one directory, where making and removing a directory per object
// cost more time than writing it.
func mapObjectKey(job string, index int, attempt string) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(index))
	return fmt.Sprintf("%s%04x-m%06d-%s", shufflePrefix(job), fnv64(b[:])&0xffff, index, attempt)
}

func shufflePrefix(job string) string { return storage.JobPrefix(job) + "shuffle/" }
