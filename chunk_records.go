package overcast

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/overcast-sc/overcast/storage"
)

// OpenBucket returns the bucket a URL names, opened with the storage
// options ctx carries once per process and kept open for the tasks that
// run in it (storage.Shared). Tasks use it to reach the buckets their
// inputs name; closing it does nothing.
func OpenBucket(ctx context.Context, url string) (*storage.Bucket, error) {
	return storage.Shared(ctx, url)
}

// Open returns a reader of the chunk's i-th range.
func (c Chunk) Open(ctx context.Context, i int) (io.ReadCloser, error) {
	b, err := OpenBucket(ctx, c.Bucket)
	if err != nil {
		return nil, err
	}
	r := c.Ranges[i]
	rd, err := b.NewRangeReader(ctx, r.Key, r.Offset, r.Length, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", r.Key, r.Offset, err)
	}
	return rd, nil
}

// Records iterates over the records of the chunk's ranges, in order,
// without their separators. A record's bytes are valid until the next
// iteration. After an error the iteration stops.
func (c Chunk) Records(ctx context.Context) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for i := range c.Ranges {
			rd, err := c.Open(ctx, i)
			if err != nil {
				yield(nil, err)
				return
			}
			ok := c.rangeRecords(rd, yield)
			rd.Close()
			if !ok {
				return
			}
		}
	}
}

// rangeRecords yields the records of one range; it returns false when
// the iteration must stop.
func (c Chunk) rangeRecords(rd io.Reader, yield func([]byte, error) bool) bool {
	if c.RecordSize > 0 {
		return fixedRecords(rd, c.RecordSize, yield)
	}
	br := bufio.NewReaderSize(rd, 256<<10)
	var long []byte
	for {
		line, err := br.ReadSlice(c.Separator)
		switch {
		case err == nil:
			rec := line[:len(line)-1]
			if long != nil {
				rec, long = append(long, rec...), nil
			}
			if !yield(rec, nil) {
				return false
			}
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, line...)
		case err == io.EOF:
			if long != nil || len(line) > 0 {
				return yield(append(long, line...), nil)
			}
			return true
		default:
			yield(nil, fmt.Errorf("read records: %w", err))
			return false
		}
	}
}

func fixedRecords(rd io.Reader, size int64, yield func([]byte, error) bool) bool {
	buf := make([]byte, size)
	br := bufio.NewReaderSize(rd, 256<<10)
	for {
		n, err := io.ReadFull(br, buf)
		if n > 0 && !yield(buf[:n], nil) {
			return false
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return true
		case err != nil:
			yield(nil, fmt.Errorf("read records: %w", err))
			return false
		}
	}
}
