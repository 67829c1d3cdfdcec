package overcast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/overcast-sc/overcast/storage"
)

// Range is a byte range of one object that holds whole records.
type Range struct {
	Key    string `json:"key"`
	Offset int64  `json:"off"`
	Length int64  `json:"len"`
}

// Chunk is one task's input: ranges of objects in one bucket, in input
// order, and how records are delimited in them.
type Chunk struct {
	// Bucket is the URL that opens the bucket (storage.Open).
	Bucket string  `json:"bucket"`
	Ranges []Range `json:"ranges"`
	// Separator ends each record when RecordSize is zero.
	Separator byte `json:"sep,omitempty"`
	// RecordSize is the size of fixed-size records; zero means records
	// end with Separator.
	RecordSize int64 `json:"record_size,omitempty"`
}

// Bytes returns the total length of the chunk's ranges.
func (c Chunk) Bytes() int64 {
	var n int64
	for _, r := range c.Ranges {
		n += r.Length
	}
	return n
}

// PartitionOption changes how Partition finds records.
type PartitionOption func(*partitionConfig)

type partitionConfig struct {
	sep        byte
	recordSize int64
}

// Separator makes records end with sep instead of a newline.
func Separator(sep byte) PartitionOption {
	return func(c *partitionConfig) { c.sep, c.recordSize = sep, 0 }
}

// FixedRecords makes records size bytes long, with no separator. The last
// record of an object whose size is not a multiple of size is shorter.
func FixedRecords(size int64) PartitionOption {
	return func(c *partitionConfig) { c.recordSize = size }
}

// Partition splits the objects that keys name into chunks of about
// chunkSize bytes for tasks to read. A key that is empty or ends in "/" is
// a prefix and names every object under it, in key order, except
// Overcast's own job data (JobDataPrefix) when the prefix is above it.
//
// Cut points are moved forward to the next record boundary, found exactly
// by ranged reads that go on until the separator however far it is, so no
// record is split, lost or duplicated whatever its length: the records of
// all chunks, in order, are the records of the objects, in order. Objects
// smaller than chunkSize are packed together into one chunk; empty objects
// give no range. Records end with a newline unless an option says
// otherwise; the last record of an object need not end with one.
//
//	chunks, err := overcast.Partition(ctx, bucket, []string{"logs/"}, 64<<20)
//	// in a task, for a chunk:
//	for rec, err := range chunk.Records(ctx) { ... }
func Partition(ctx context.Context, b *storage.Bucket, keys []string, chunkSize int64, opts ...PartitionOption) ([]Chunk, error) {
	cfg := partitionConfig{sep: '\n'}
	for _, o := range opts {
		o(&cfg)
	}
	if chunkSize < 1 {
		return nil, fmt.Errorf("partition: chunk size must be at least 1 byte, got %d", chunkSize)
	}
	if cfg.recordSize < 0 {
		return nil, fmt.Errorf("partition: record size must not be negative, got %d", cfg.recordSize)
	}
	objs, err := listObjects(ctx, b, keys)
	if err != nil {
		return nil, err
	}
	var ranges []Range
	for _, o := range objs {
		rs, err := cutObject(ctx, b, o, chunkSize, &cfg)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, rs...)
	}
	return pack(b.URL, ranges, chunkSize, &cfg), nil
}

// Size returns the total size of the objects keys name, as Partition
// would list them.
func Size(ctx context.Context, b *storage.Bucket, keys []string) (int64, error) {
	objs, err := listObjects(ctx, b, keys)
	var n int64
	for _, o := range objs {
		n += o.size
	}
	return n, err
}

type object struct {
	key  string
	size int64
}

// listObjects returns the objects keys name, in order.
func listObjects(ctx context.Context, b *storage.Bucket, keys []string) ([]object, error) {
	if len(keys) == 0 {
		return nil, errors.New("partition: no keys given")
	}
	var objs []object
	for _, k := range keys {
		if k != "" && !strings.HasSuffix(k, "/") {
			a, err := b.Attributes(ctx, k)
			if err != nil {
				return nil, fmt.Errorf("partition: object %s: %w", k, err)
			}
			objs = append(objs, object{k, a.Size})
			continue
		}
		n := len(objs)
		listed, err := b.List(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("partition: %w", err)
		}
		for _, o := range listed {
			if !jobData(k, o.Key) {
				objs = append(objs, object{o.Key, o.Size})
			}
		}
		if len(objs) == n {
			return nil, fmt.Errorf("partition: no objects under prefix %q", k)
		}
	}
	return objs, nil
}

// JobDataPrefix is where Overcast keeps a job's data in a bucket, under
// JobDataPrefix + "<job-id>/".
const JobDataPrefix = "overcast/"

// jobData reports whether a key listed under prefix is Overcast's own job
// data, which a prefix above it does not count as input.
func jobData(prefix, key string) bool {
	return strings.HasPrefix(key, JobDataPrefix) && !strings.HasPrefix(prefix, JobDataPrefix)
}

// cutObject splits one object into ranges of about chunkSize bytes, each
// ending on a record boundary. Fixed-size records need no reads; chunks
// of probeParallelSize or more are cut by cutParallel, smaller ones one
// cut after the other.
func cutObject(ctx context.Context, b *storage.Bucket, o object, chunkSize int64, cfg *partitionConfig) ([]Range, error) {
	if chunkSize >= probeParallelSize && cfg.recordSize == 0 {
		return cutParallel(ctx, b, o, chunkSize, cfg.sep)
	}
	var rs []Range
	for start := int64(0); start < o.size; {
		end := start + chunkSize
		if end >= o.size || end < start {
			end = o.size
		} else if cfg.recordSize > 0 {
			end = min(o.size, (end+cfg.recordSize-1)/cfg.recordSize*cfg.recordSize)
		} else {
			var err error
			if end, _, err = nextBoundary(ctx, b, o.key, end, o.size, cfg.sep); err != nil {
				return nil, err
			}
		}
		rs = append(rs, Range{Key: o.key, Offset: start, Length: end - start})
		start = end
	}
	return rs, nil
}

// cutParallel cuts an object at the first record boundary at or after
// each multiple of chunkSize, looking for probeConcurrency of them at
// once: on S3 each look is a request's round trip, which one after the
// other added up to about a second per GB before the first task could
// start. The look for cut k reads no further than cut k+1's position:
// with no separator before it, cut k is cut k+1, so every byte is read
// at most once, however long its record. A record longer than a chunk
// makes the ranges it spans empty, which are dropped.
func cutParallel(ctx context.Context, b *storage.Bucket, o object, chunkSize int64, sep byte) ([]Range, error) {
	n := (o.size - 1) / chunkSize // cut points strictly inside the object
	cuts := make([]int64, n+2)
	cuts[n+1] = o.size
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(probeConcurrency)
	for k := int64(1); k <= n; k++ {
		g.Go(func() error {
			end, ok, err := nextBoundary(gctx, b, o.key, k*chunkSize, min(o.size, (k+1)*chunkSize), sep)
			if !ok {
				end = -1 // cut k+1's
			}
			cuts[k] = end
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for k := n; k >= 1; k-- {
		if cuts[k] < 0 {
			cuts[k] = cuts[k+1]
		}
	}
	var rs []Range
	for k := range cuts[:n+1] {
		if start, end := cuts[k], cuts[k+1]; end > start {
			rs = append(rs, Range{Key: o.key, Offset: start, Length: end - start})
		}
	}
	return rs, nil
}

// Partition looks for up to probeConcurrency cut points of an object at
// once when its chunks are probeParallelSize or more; smaller chunks
// are cut one after the other, so that a long record is read once, not
// once for each of the many cut points inside it.
const (
	probeConcurrency  = 16
	probeParallelSize = 1 << 20
)

// nextBoundary returns the first record boundary at or after pos, a
// position just past a separator, if one is before stop; ok is false
// when none is, and end is then stop. It reads from pos-1 in growing
// ranges.
func nextBoundary(ctx context.Context, b *storage.Bucket, key string, pos, stop int64, sep byte) (end int64, ok bool, err error) {
	block := int64(64 << 10)
	for at := pos - 1; at < stop-1; {
		n := min(block, stop-1-at)
		buf, err := readRange(ctx, b, key, at, n)
		if err != nil {
			return 0, false, err
		}
		if i := bytes.IndexByte(buf, sep); i >= 0 {
			return at + int64(i) + 1, true, nil
		}
		at += n
		block = min(2*block, 8<<20)
	}
	return stop, false, nil
}

func readRange(ctx context.Context, b *storage.Bucket, key string, off, n int64) ([]byte, error) {
	buf, err := b.GetRange(ctx, key, off, n)
	if err == nil && int64(len(buf)) != n {
		err = fmt.Errorf("read %s at %d: %d bytes, want %d", key, off, len(buf), n)
	}
	return buf, err
}

// pack groups consecutive ranges into chunks of at most chunkSize bytes,
// or one range each when a range alone is bigger.
func pack(bucketURL string, ranges []Range, chunkSize int64, cfg *partitionConfig) []Chunk {
	var chunks []Chunk
	var cur []Range
	var size int64
	flush := func() {
		if len(cur) > 0 {
			chunks = append(chunks, Chunk{Bucket: bucketURL, Ranges: cur, Separator: cfg.sep, RecordSize: cfg.recordSize})
		}
		cur, size = nil, 0
	}
	for _, r := range ranges {
		if len(cur) > 0 && size+r.Length > chunkSize {
			flush()
		}
		cur = append(cur, r)
		size += r.Length
	}
	flush()
	return chunks
}
