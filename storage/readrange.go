package storage

import (
	"context"
	"fmt"
	"io"
)

// ReadRange reads exactly len(dst) bytes of an object from offset into
// dst, retrying transient failures as Get does: for callers that read
// ranges of known length into buffers of their own, without the copies
// of GetRange's growing reads. An object that ends before the range does
// is an error, not retried.
func (b *Bucket) ReadRange(ctx context.Context, key string, offset int64, dst []byte) error {
	err := b.retry().do(ctx, func() error {
		r, err := b.NewRangeReader(ctx, key, offset, int64(len(dst)), nil)
		if err != nil {
			return err
		}
		defer r.Close()
		if end := offset + int64(len(dst)); r.Size() < end {
			return fmt.Errorf("the object holds %d bytes, not %d", r.Size(), end)
		}
		if n, err := io.ReadFull(r, dst); err != nil {
			return fmt.Errorf("read %d of %d bytes at %d: %w", n, len(dst), offset, err)
		}
		return nil
	})
	return b.errorf("get", key, err)
}
