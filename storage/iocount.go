package storage

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
)

// IOCount counts the bytes a task read from storage and wrote to it. A
// worker carries one in each task's context (WithIOCount); every read and
// write of a Bucket made with that context, or one derived from it, adds
// to it, so that tasks running at once in one process are counted apart
// and user code counts without doing anything. Each call adds once (an
// atomic add per Read or Write, not per byte).
//
// Reads count the bytes handed to the caller; writes count the bytes a
// Writer accepted and whole objects written (WriteAll, Put) that
// succeeded. Listing, copying within the bucket and deleting count
// nothing.
type IOCount struct {
	read, written atomic.Int64
}

// Read returns the bytes read so far.
func (c *IOCount) Read() int64 { return c.read.Load() }

// Written returns the bytes written so far.
func (c *IOCount) Written() int64 { return c.written.Load() }

// AddRead counts n bytes read elsewhere than through a Bucket.
func (c *IOCount) AddRead(n int64) {
	if c != nil && n > 0 {
		c.read.Add(n)
	}
}

// AddWritten counts n bytes written elsewhere than through a Bucket.
func (c *IOCount) AddWritten(n int64) {
	if c != nil && n > 0 {
		c.written.Add(n)
	}
}

type ioCountKey struct{}

// WithIOCount returns a context that counts the storage I/O made with it
// in a new IOCount, and that count.
func WithIOCount(ctx context.Context) (context.Context, *IOCount) {
	c := new(IOCount)
	return context.WithValue(ctx, ioCountKey{}, c), c
}

// IOCountFrom returns the IOCount ctx carries, or nil.
func IOCountFrom(ctx context.Context) *IOCount {
	c, _ := ctx.Value(ioCountKey{}).(*IOCount)
	return c
}

// Reader reads an object and counts what it reads in the IOCount of the
// context that opened it. It is a *blob.Reader in all else.
type Reader struct {
	*blob.Reader
	count *IOCount
}

// Read reads as blob.Reader does, counting the bytes.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if r.count != nil && n > 0 {
		r.count.read.Add(int64(n))
	}
	return n, err
}

// WriteTo copies the rest of the object to w, counting the bytes, through
// a pooled buffer: gocloud's own WriteTo makes a new 1 MiB buffer for
// every call, which a map task reading its chunk range by range paid for
// in page faults and clearing.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(w, struct{ io.Reader }{r}, *bp) // r's Read counts; the struct hides WriteTo
}

// copyBufs holds WriteTo's buffers.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// Writer writes an object and counts what it writes in the IOCount of
// the context that opened it. It is a *blob.Writer in all else.
type Writer struct {
	*blob.Writer
	count *IOCount
}

// Write writes as blob.Writer does, counting the bytes.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if w.count != nil && n > 0 {
		w.count.written.Add(int64(n))
	}
	return n, err
}

// ReadFrom copies r into the object, counting the bytes.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	n, err := w.Writer.ReadFrom(r)
	w.count.AddWritten(n)
	return n, err
}

// The methods below stand in for those of the embedded *blob.Bucket, so
// that every read and write made through a Bucket is counted.

// NewReader opens a whole object for reading (blob.Bucket.NewReader).
func (b *Bucket) NewReader(ctx context.Context, key string, opts *blob.ReaderOptions) (*Reader, error) {
	return b.NewRangeReader(ctx, key, 0, -1, opts)
}

// NewRangeReader opens length bytes of an object from offset for reading
// (blob.Bucket.NewRangeReader).
func (b *Bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *blob.ReaderOptions) (*Reader, error) {
	r, err := b.Bucket.NewRangeReader(ctx, key, offset, length, opts)
	if err != nil {
		return nil, err
	}
	return &Reader{Reader: r, count: IOCountFrom(ctx)}, nil
}

// ReadAll reads a whole object (blob.Bucket.ReadAll).
func (b *Bucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	data, err := b.Bucket.ReadAll(ctx, key)
	IOCountFrom(ctx).AddRead(int64(len(data)))
	return data, err
}

// Download copies a whole object to w (blob.Bucket.Download).
func (b *Bucket) Download(ctx context.Context, key string, w io.Writer, opts *blob.ReaderOptions) error {
	c := IOCountFrom(ctx)
	if c == nil {
		return b.Bucket.Download(ctx, key, w, opts)
	}
	if wa, ok := w.(io.WriterAt); ok {
		return b.Bucket.Download(ctx, key, &countWriterAt{countWriter{w, c}, wa}, opts)
	}
	return b.Bucket.Download(ctx, key, &countWriter{w, c}, opts)
}

// NewWriter opens an object for writing (blob.Bucket.NewWriter).
func (b *Bucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (*Writer, error) {
	w, err := b.Bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &Writer{Writer: w, count: IOCountFrom(ctx)}, nil
}

// WriteAll writes a whole object (blob.Bucket.WriteAll); it counts when
// the write succeeded.
func (b *Bucket) WriteAll(ctx context.Context, key string, p []byte, opts *blob.WriterOptions) error {
	err := b.Bucket.WriteAll(ctx, key, p, opts)
	if err == nil {
		IOCountFrom(ctx).AddWritten(int64(len(p)))
	}
	return err
}

// Upload writes what r holds as an object (blob.Bucket.Upload).
func (b *Bucket) Upload(ctx context.Context, key string, r io.Reader, opts *blob.WriterOptions) error {
	c := IOCountFrom(ctx)
	if c == nil {
		return b.Bucket.Upload(ctx, key, r, opts)
	}
	return b.Bucket.Upload(ctx, key, &countReader{r, c}, opts)
}

// countWriter counts the bytes a download writes to the caller's writer:
// the bytes read from storage.
type countWriter struct {
	w io.Writer
	c *IOCount
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.c.AddRead(int64(n))
	return n, err
}

// countWriterAt keeps a writer's io.WriterAt, so that a download may still
// go in parallel ranges.
type countWriterAt struct {
	countWriter
	wa io.WriterAt
}

func (w *countWriterAt) WriteAt(p []byte, off int64) (int, error) {
	n, err := w.wa.WriteAt(p, off)
	w.c.AddRead(int64(n))
	return n, err
}

// countReader counts the bytes an upload takes from the caller's reader:
// the bytes written to storage.
type countReader struct {
	r io.Reader
	c *IOCount
}

func (r *countReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.AddWritten(int64(n))
	return n, err
}
