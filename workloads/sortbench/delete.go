package sortbench

import (
	"context"
	"errors"
	"io"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast/storage"
)

// deletePrefix deletes every object under prefix, as far as it can, and
// counts its requests (a list of up to 1000 keys counts as one).
func deletePrefix(ctx context.Context, b *storage.Bucket, prefix string) IO {
	done := IO{Lists: 1}
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) || err != nil {
			return done
		}
		if !o.IsDir {
			b.Delete(ctx, o.Key)
			done.Deletes++
		}
	}
}
