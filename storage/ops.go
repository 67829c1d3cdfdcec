package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

// The requests below are Overcast's own (offloaded payloads and results,
// job data, cleaning): each retries transient failures as the bucket's Options.Backoff says
// and fails with an *Error that names the object. User code reading and
// writing its data may use them too, or the embedded *blob.Bucket.

// Get reads a whole object.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := b.retry().do(ctx, func() (err error) {
		data, err = b.ReadAll(ctx, key)
		return err
	})
	return data, b.errorf("get", key, err)
}

// GetRange reads length bytes of an object from offset, fewer at its
// end; a negative length reads to the end.
func (b *Bucket) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	var data []byte
	err := b.retry().do(ctx, func() error {
		r, err := b.NewRangeReader(ctx, key, offset, length, nil)
		if err != nil {
			return err
		}
		defer r.Close()
		data, err = io.ReadAll(r)
		return err
	})
	return data, b.errorf("get", key, err)
}

// Put writes an object, replacing any object of that key.
func (b *Bucket) Put(ctx context.Context, key string, data []byte) error {
	err := b.retry().do(ctx, func() error {
		return b.WriteAll(ctx, key, data, nil)
	})
	return b.errorf("put", key, err)
}

// Remove deletes an object; an object already gone is no error, so that
// a retried or repeated removal succeeds. On S3 it is one request.
func (b *Bucket) Remove(ctx context.Context, key string) error {
	err := b.retry().do(ctx, func() error {
		if err := b.remove(ctx, key); err != nil && !IsNotFound(err) {
			return err
		}
		return nil
	})
	return b.errorf("remove", key, err)
}

// remove deletes key, or reports it missing. gocloud's Delete on S3 asks
// for the object's attributes first (a HEAD), only to report a missing
// object, which S3's DeleteObject does not; Remove takes a missing object
// as removed, so on S3 remove sends the DeleteObject alone.
func (b *Bucket) remove(ctx context.Context, key string) error {
	if b.s3 != nil && b.s3.plain(key) {
		return b.s3.delete(ctx, key)
	}
	return b.Delete(ctx, key)
}

// Object is a listed object: its key and size in bytes.
type Object struct {
	Key  string
	Size int64
}

// listPage is the page size of List: S3's largest.
const listPage = 1000

// List returns the objects whose keys start with prefix, in key order,
// the objects under every "directory" of it included.
func (b *Bucket) List(ctx context.Context, prefix string) ([]Object, error) {
	var objs []Object
	opts := &blob.ListOptions{Prefix: prefix}
	token := blob.FirstPageToken
	for {
		var page []*blob.ListObject
		var next []byte
		err := b.retry().do(ctx, func() (err error) {
			page, next, err = b.ListPage(ctx, token, listPage, opts)
			return err
		})
		if err != nil {
			return nil, b.errorf("list", prefix, err)
		}
		for _, o := range page {
			size, err := b.listedSize(ctx, o)
			if err != nil {
				return nil, err
			}
			objs = append(objs, Object{Key: o.Key, Size: size})
		}
		if len(next) == 0 {
			return objs, nil
		}
		token = next
	}
}

// listedSize is a listed object's size. A file bucket lists a symbolic
// link with the link's own size, while reading it reads its target: the
// target's size is the object's. A link to a directory (or to nothing) is
// refused: it holds no object, and a directory's link is not followed.
func (b *Bucket) listedSize(ctx context.Context, o *blob.ListObject) (int64, error) {
	var fi os.FileInfo
	if !o.As(&fi) || fi.Mode()&fs.ModeSymlink == 0 {
		return o.Size, nil
	}
	a, err := b.Attributes(ctx, o.Key)
	if IsNotFound(err) {
		err = errors.New("a link to a directory or to no file, which is not followed: give the directory's own URL")
	}
	if err != nil {
		return 0, &Error{Op: "list", Object: objectName(b.URL, o.Key), Err: err}
	}
	return a.Size, nil
}

// removeWorkers bounds the deletions RemoveAll has in flight.
const removeWorkers = 16

// RemoveAll deletes every object whose key starts with prefix and returns
// how many it deleted. An empty prefix is refused: it would empty the
// bucket. On S3 it deletes up to 1,000 objects a request (DeleteObjects)
// instead of one: cleaning a job's data costs a request per thousand
// objects.
func (b *Bucket) RemoveAll(ctx context.Context, prefix string) (int, error) {
	if prefix == "" {
		return 0, &Error{Op: "remove", Object: objectName(b.URL, ""), Err: errEmptyPrefix}
	}
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(removeWorkers)
	var batch []string // plain S3 keys, deleted deleteBatch at a time
	for _, o := range objs {
		if b.s3 == nil || !b.s3.plain(o.Key) {
			g.Go(func() error { return b.Remove(gctx, o.Key) })
			continue
		}
		if batch = append(batch, o.Key); len(batch) == deleteBatch {
			b.removeBatch(g, gctx, batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		b.removeBatch(g, gctx, batch)
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	b.pruneDirs(prefix)
	return len(objs), nil
}

// removeBatch deletes keys of an S3 bucket with one request (retried)
// in g. When that fails, as on a store that has no
// multi-object delete, it deletes them one by one, whose errors name the
// object.
func (b *Bucket) removeBatch(g *errgroup.Group, ctx context.Context, keys []string) {
	g.Go(func() error {
		if b.retry().do(ctx, func() error { return b.s3.deleteMany(ctx, keys) }) == nil {
			return nil
		}
		for _, k := range keys {
			if err := b.Remove(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// pruneDirs removes the directories a file bucket is left with under a
// removed prefix, and their parents up to the bucket's own, when empty.
func (b *Bucket) pruneDirs(prefix string) {
	u, err := url.Parse(b.URL)
	if err != nil || u.Scheme != "file" {
		return
	}
	root := filepath.Clean(u.Path)
	top := filepath.Join(root, filepath.FromSlash(path.Dir(prefix+"x")))
	var dirs []string
	filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails, as it should, on a directory not empty
	}
	for d := filepath.Dir(top); strings.HasPrefix(d, root+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
	}
}
