package overcast

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob"

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
// a prefix and names every object under it, in key order.
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
		it := b.Bucket.List(&blob.ListOptions{Prefix: k})
		for {
			o, err := it.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("partition: list %q: %w", k, err)
			}
			if !o.IsDir {
				objs = append(objs, object{o.Key, o.Size})
			}
		}
		if len(objs) == n {
			return nil, fmt.Errorf("partition: no objects under prefix %q", k)
		}
	}
	return objs, nil
}

// cutObject splits one object into ranges of at least chunkSize bytes
// (the last may be shorter), each ending on a record boundary.
func cutObject(ctx context.Context, b *storage.Bucket, o object, chunkSize int64, cfg *partitionConfig) ([]Range, error) {
	var rs []Range
	for start := int64(0); start < o.size; {
		end := start + chunkSize
		if end >= o.size || end < start {
			end = o.size
		} else if cfg.recordSize > 0 {
			end = min(o.size, (end+cfg.recordSize-1)/cfg.recordSize*cfg.recordSize)
		} else {
			var err error
			if end, err = nextBoundary(ctx, b, o, end, cfg.sep); err != nil {
				return nil, err
			}
		}
		rs = append(rs, Range{Key: o.key, Offset: start, Length: end - start})
		start = end
	}
	return rs, nil
}

// nextBoundary returns the first record boundary at or after pos: a
// position just past a separator, or the object's end. It reads from
// pos-1 in growing ranges until it finds a separator.
func nextBoundary(ctx context.Context, b *storage.Bucket, o object, pos int64, sep byte) (int64, error) {
	block := int64(64 << 10)
	for at := pos - 1; at < o.size; {
		n := min(block, o.size-at)
		buf, err := readRange(ctx, b, o.key, at, n)
		if err != nil {
			return 0, err
		}
		if i := bytes.IndexByte(buf, sep); i >= 0 {
			return at + int64(i) + 1, nil
		}
		at += n
		block = min(2*block, 8<<20)
	}
	return o.size, nil
}

func readRange(ctx context.Context, b *storage.Bucket, key string, off, n int64) ([]byte, error) {
	r, err := b.NewRangeReader(ctx, key, off, n, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", key, off, err)
	}
	defer r.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", key, off, err)
	}
	return buf, nil
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
