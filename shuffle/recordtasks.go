package shuffle

import (
	"context"
	"fmt"
	"io"
	"math"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// mapTask reads the chunk, hands it to Map, groups its records by
// partition and writes them as one object under a name of the attempt's
// own.
func (j *RecordJob) mapTask(ctx context.Context, in recordMapInput) (recordMapOutput, error) {
	if in.Reducers < 1 {
		return recordMapOutput{}, fmt.Errorf("map: %d reducers", in.Reducers)
	}
	if rs := in.Chunk.RecordSize; rs != 0 && rs != int64(j.RecordSize) {
		return recordMapOutput{}, fmt.Errorf("map: a chunk of %d-byte records for a job of %d-byte records", rs, j.RecordSize)
	}
	ctx, counters := withCounters(ctx)
	recs, err := j.readChunk(ctx, in.Chunk)
	if err != nil {
		return recordMapOutput{}, err
	}
	if j.Map != nil {
		if err := j.Map(ctx, recs); err != nil {
			return recordMapOutput{}, err
		}
	}
	kp := newKeyParts(j.KeySize, in.Reducers, in.Splitters)
	grouped, ends := groupRecords(recs, j.RecordSize, kp)
	putBuf(recs)
	defer putBuf(grouped)
	out := recordMapOutput{Ends: ends, Counters: counters}
	if len(grouped) == 0 {
		return out, nil
	}
	b, err := overcast.OpenBucket(ctx, in.Storage)
	if err != nil {
		return recordMapOutput{}, err
	}
	out.Key = mapObjectKey(in.Job, in.Index, attemptID(ctx))
	if err := writeObject(ctx, b, out.Key, grouped); err != nil {
		return recordMapOutput{}, err
	}
	counters["shuffle_bytes"] += int64(len(grouped))
	counters["shuffle_objects"]++
	if afterWrite != nil {
		if err := afterWrite(ctx, in.Index, out.Key); err != nil {
			return recordMapOutput{}, err
		}
	}
	return out, nil
}

// writeObject writes data as one object with a single write, as Job's
// writeRun does, and not with Bucket.Put, whose WriteAll hashes the data
// twice with MD5 (a task's retry covers a failed write). A failed write
// leaves no object.
func writeObject(ctx context.Context, b *storage.Bucket, key string, data []byte) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if _, err := w.Write(data); err != nil {
		cancel() // abandon the object
		w.Close()
		return fmt.Errorf("write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// readChunk reads the chunk's ranges into one buffer.
func (j *RecordJob) readChunk(ctx context.Context, c overcast.Chunk) ([]byte, error) {
	for _, r := range c.Ranges {
		if r.Length%int64(j.RecordSize) != 0 {
			return nil, fmt.Errorf("map: %s: a range of %d bytes at %d is not whole %d-byte records", r.Key, r.Length, r.Offset, j.RecordSize)
		}
	}
	if len(c.Ranges) == 0 {
		return nil, nil
	}
	b, err := overcast.OpenBucket(ctx, c.Bucket)
	if err != nil {
		return nil, err
	}
	return readRanges(ctx, b, c.Ranges)
}

// readRanges reads ranges of b into one buffer, in order, with one
// ranged read each.
func readRanges(ctx context.Context, b *storage.Bucket, ranges []overcast.Range) ([]byte, error) {
	var n int64
	for _, r := range ranges {
		n += r.Length
	}
	buf := getBuf(int(n))
	var off int64
	for _, r := range ranges {
		if r.Length == 0 {
			continue // costs no request
		}
		if onRead != nil {
			onRead(r)
		}
		if err := b.ReadRange(ctx, r.Key, r.Offset, buf[off:off+r.Length]); err != nil {
			putBuf(buf)
			return nil, err
		}
		off += r.Length
	}
	return buf, nil
}

// reduceBlock is about how many bytes of sorted records a reducer hands
// Reduce at a time: over the output's 1 MiB buffer, so that a Reduce that
// writes its block whole skips the copy into that buffer.
const reduceBlock = 1<<20 + 1<<10

// afterReduceWrite, when set by a test, runs after each block a reducer
// has written: a failing attempt that has written part of its output.
var afterReduceWrite func(ctx context.Context, part int) error

// reduceTask reads the partition's regions, sorts their records and
// writes them, block by block, under a name of the attempt's own.
func (j *RecordJob) reduceTask(ctx context.Context, in recordReduceInput) (reduceOutput, error) {
	ctx, counters := withCounters(ctx)
	var recs []byte
	if len(in.Inputs) > 0 {
		b, err := overcast.OpenBucket(ctx, in.Storage)
		if err != nil {
			return reduceOutput{}, err
		}
		if recs, err = readRanges(ctx, b, in.Inputs); err != nil {
			return reduceOutput{}, err
		}
		defer putBuf(recs)
	}
	if len(recs)%j.RecordSize != 0 || len(recs)/j.RecordSize > math.MaxUint32 {
		return reduceOutput{}, fmt.Errorf("reduce: %d bytes are not whole %d-byte records, or more than 2³² of them", len(recs), j.RecordSize)
	}
	order := sortRecords(recs, j.RecordSize, j.KeySize)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, commit, key, err := openOutput(wctx, reduceInput{Part: in.Part, OutBucket: in.OutBucket, OutPrefix: in.OutPrefix})
	if err != nil {
		return reduceOutput{}, err
	}
	if err := j.writeSorted(ctx, in.Part, recs, order, out); err != nil {
		cancel() // abandon the output
		commit()
		return reduceOutput{}, err
	}
	n, err := commit()
	if err != nil {
		return reduceOutput{}, err
	}
	counters["shuffle_reads"] += int64(len(in.Inputs))
	counters["shuffle_bytes"] += int64(len(recs))
	counters["values"] += int64(len(order))
	counters["output_bytes"] += n
	return reduceOutput{Output: key, Counters: counters}, nil
}

// writeSorted gathers the records in order into blocks and hands each to
// Reduce, or writes it.
func (j *RecordJob) writeSorted(ctx context.Context, part int, recs []byte, order []sortEntry, out io.Writer) error {
	size := j.RecordSize
	per := max(1, reduceBlock/size)
	block := make([]byte, min(per, len(order))*size)
	for len(order) > 0 {
		n := min(per, len(order))
		blk := block[:n*size]
		for i, e := range order[:n] {
			copy(blk[i*size:(i+1)*size], recs[int(e.idx)*size:])
		}
		order = order[n:]
		var err error
		if j.Reduce != nil {
			err = j.Reduce(ctx, blk, out)
		} else {
			_, err = out.Write(blk)
		}
		if err != nil {
			return err
		}
		if afterReduceWrite != nil {
			if err := afterReduceWrite(ctx, part); err != nil {
				return err
			}
		}
	}
	return nil
}
