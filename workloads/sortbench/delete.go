package sortbench

import (
	"context"
	"errors"
	"io"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast/storage"
)

// deletePrefix deletes every object under prefix, as far as it can.
func deletePrefix(ctx context.Context, b *storage.Bucket, prefix string) {
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) || err != nil {
			return
		}
		if !o.IsDir {
			b.Delete(ctx, o.Key)
		}
	}
}
