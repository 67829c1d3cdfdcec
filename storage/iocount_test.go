package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/blob"
)

// ioOps does every kind of read and write a task may make, and returns
// the bytes each moved: what an IOCount must add up to.
func ioOps(ctx context.Context, b *Bucket, key string, size int) (read, written int64, err error) {
	data := bytes.Repeat([]byte("abcdefghij"), size/10)
	if err := b.Put(ctx, key+"/put", data); err != nil { // WriteAll
		return 0, 0, err
	}
	written += int64(len(data))
	w, err := b.NewWriter(ctx, key+"/writer", nil)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(w, bytes.NewReader(data)) // Writer.ReadFrom
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	written += n
	if err := b.Upload(ctx, key+"/upload", strings.NewReader("twelve bytes"), &blob.WriterOptions{ContentType: "text/plain"}); err != nil {
		return 0, 0, err
	}
	written += 12

	got, err := b.Get(ctx, key+"/put") // ReadAll
	if err != nil {
		return 0, 0, err
	}
	read += int64(len(got))
	if got, err = b.GetRange(ctx, key+"/put", 5, 17); err != nil { // NewRangeReader
		return 0, 0, err
	}
	read += int64(len(got))
	dst := make([]byte, 33)
	if err := b.ReadRange(ctx, key+"/writer", 7, dst); err != nil {
		return 0, 0, err
	}
	read += 33
	var buf bytes.Buffer
	if err := b.Download(ctx, key+"/upload", &buf, nil); err != nil {
		return 0, 0, err
	}
	read += int64(buf.Len())
	r, err := b.NewReader(ctx, key+"/writer", nil)
	if err != nil {
		return 0, 0, err
	}
	var sink bytes.Buffer
	n, err = r.WriteTo(&sink) // Reader.WriteTo
	r.Close()
	if err != nil {
		return 0, 0, err
	}
	read += n
	if _, err := b.List(ctx, key+"/"); err != nil { // counts nothing
		return 0, 0, err
	}
	return read, written, nil
}

// TestIOCount runs tasks at once in one process, each with its own count,
// on every kind of local bucket: each count holds its own task's bytes.
func TestIOCount(t *testing.T) {
	for _, url := range []string{"file://" + t.TempDir(), "mem://iocount-test"} {
		b, err := Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		const tasks = 8
		var wg sync.WaitGroup
		for i := range tasks {
			wg.Go(func() {
				ctx, c := WithIOCount(context.Background())
				read, written, err := ioOps(ctx, b, fmt.Sprintf("task-%d", i), 1000*(i+1))
				if err != nil {
					t.Errorf("%s task %d: %v", url, i, err)
					return
				}
				if c.Read() != read || c.Written() != written {
					t.Errorf("%s task %d: counted %d read, %d written; moved %d and %d", url, i, c.Read(), c.Written(), read, written)
				}
			})
		}
		wg.Wait()
		// Without a count in the context, the same calls work and count nowhere.
		if _, _, err := ioOps(context.Background(), b, "uncounted", 100); err != nil {
			t.Errorf("%s without a count: %v", url, err)
		}
		b.Close()
	}
}

// TestIOCountDerivedContext counts the I/O of goroutines a task starts
// with a context derived from its own.
func TestIOCountDerivedContext(t *testing.T) {
	b, err := Open(context.Background(), "mem://iocount-derived")
	if err != nil {
		t.Fatal(err)
	}
	ctx, c := WithIOCount(context.Background())
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if err := b.Put(sub, fmt.Sprint(i), make([]byte, 100)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c.Written() != 400 || c.Read() != 0 {
		t.Errorf("counted %d written, %d read; want 400 and 0", c.Written(), c.Read())
	}
	if IOCountFrom(context.Background()) != nil {
		t.Error("a context without a count has one")
	}
}

// BenchmarkIOCount reads 1 MiB objects in 4 KiB reads, the smallest reads
// a task would make, and 64 KiB ranges with ReadRange, with and without a
// count, and through the embedded *blob.Bucket (what Bucket did before
// counting): the ratios between them, measured in one run, are the cost
// of counting.
func BenchmarkIOCount(b *testing.B) {
	bk, err := Open(context.Background(), "mem://iocount-bench")
	if err != nil {
		b.Fatal(err)
	}
	const size = 1 << 20
	if err := bk.Put(context.Background(), "obj", make([]byte, size)); err != nil {
		b.Fatal(err)
	}
	counted, _ := WithIOCount(context.Background())
	open := map[string]func(ctx context.Context) (io.ReadCloser, error){
		"blob": func(ctx context.Context) (io.ReadCloser, error) { return bk.Bucket.NewReader(ctx, "obj", nil) },
		"bucket": func(ctx context.Context) (io.ReadCloser, error) {
			return bk.NewReader(ctx, "obj", nil)
		},
	}
	for _, c := range []struct {
		name, open string
		ctx        context.Context
	}{{"blob", "blob", context.Background()}, {"uncounted", "bucket", context.Background()}, {"counted", "bucket", counted}} {
		b.Run("read4k/"+c.name, func(b *testing.B) {
			buf := make([]byte, 4<<10)
			b.SetBytes(size)
			for b.Loop() {
				r, err := open[c.open](c.ctx)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
				r.Close()
			}
		})
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"uncounted", context.Background()}, {"counted", counted}} {
		b.Run("readrange64k/"+c.name, func(b *testing.B) {
			dst := make([]byte, 64<<10)
			b.SetBytes(int64(len(dst)))
			off := int64(0)
			for b.Loop() {
				if err := bk.ReadRange(c.ctx, "obj", off, dst); err != nil {
					b.Fatal(err)
				}
				off = (off + int64(len(dst))) % size
			}
		})
	}
}
