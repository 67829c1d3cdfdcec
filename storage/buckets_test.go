package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/overcast-sc/overcast/internal/s3test"
)

// backends are the kinds of bucket every storage test runs against: a
// directory, this process's memory, and a real S3 server (versitygw).
var backends = []struct {
	name string
	open func(t *testing.T) string
}{
	{"file", func(t *testing.T) string { return "file://" + t.TempDir() }},
	{"mem", func(t *testing.T) string { return "mem://" + strings.ReplaceAll(t.Name(), "/", "-") }},
	{"s3", func(t *testing.T) string { return s3test.Bucket(t) }},
}

// eachBackend runs f on a fresh bucket of every kind.
func eachBackend(t *testing.T, f func(t *testing.T, b *Bucket)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, err := Open(context.Background(), be.open(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			f(t, b)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *Bucket) {
		ctx := context.Background()
		for _, size := range []int{0, 1, 1 << 20, 5<<20 + 3} { // 5 MiB+: S3 uploads in parts
			data := pattern(size)
			key := fmt.Sprintf("round/trip-%d", size)
			if err := b.Put(ctx, key, data); err != nil {
				t.Fatal(err)
			}
			got, err := b.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%d bytes: read back %d bytes that differ", size, len(got))
			}
		}
	})
}

func TestRangedReads(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *Bucket) {
		ctx := context.Background()
		data := pattern(10000)
		if err := b.Put(ctx, "r", data); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ off, n, want0, want1 int64 }{
			{0, 1, 0, 1},
			{1234, 100, 1234, 1334},
			{9990, 100, 9990, 10000}, // past the end: what there is
			{5000, -1, 5000, 10000},  // to the end
			{0, 10000, 0, 10000},
		} {
			got, err := b.GetRange(ctx, "r", c.off, c.n)
			if err != nil {
				t.Fatalf("range %d+%d: %v", c.off, c.n, err)
			}
			if !bytes.Equal(got, data[c.want0:c.want1]) {
				t.Errorf("range %d+%d: got %d bytes, want bytes %d to %d", c.off, c.n, len(got), c.want0, c.want1)
			}
		}
	})
}

func TestListByPrefix(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *Bucket) {
		ctx := context.Background()
		keys := []string{"job/a/0", "job/a/1", "job/a/sub/2", "job/ab", "job/b/0", "other"}
		for i, k := range keys {
			if err := b.Put(ctx, k, pattern(i)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			prefix string
			want   []string
		}{
			{"job/a/", []string{"job/a/0", "job/a/1", "job/a/sub/2"}},
			{"job/a", []string{"job/a/0", "job/a/1", "job/a/sub/2", "job/ab"}},
			{"job/", keys[:5]},
			{"none/", nil},
		} {
			objs, err := b.List(ctx, c.prefix)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
				if want := int64(slices.Index(keys, o.Key)); o.Size != want {
					t.Errorf("%s: size %d, want %d", o.Key, o.Size, want)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("List(%q) = %v, want %v", c.prefix, got, c.want)
			}
		}
	})
}

func TestMissingKeysGiveAClearError(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *Bucket) {
		ctx := context.Background()
		_, errGet := b.Get(ctx, "no/such/key")
		_, errRange := b.GetRange(ctx, "no/such/key", 10, 10)
		for _, err := range []error{errGet, errRange} {
			if !IsNotFound(err) {
				t.Fatalf("got %v, want a not-found error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "no such object") || !strings.Contains(msg, "no/such/key") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming the key and saying it does not exist", msg)
			}
		}
		if err := b.Remove(ctx, "no/such/key"); err != nil {
			t.Errorf("removing a missing object: %v, want success", err)
		}
	})
}

func TestRemoveAll(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *Bucket) {
		ctx := context.Background()
		for i := range 30 {
			if err := b.Put(ctx, fmt.Sprintf("overcast/job-1/in/%d", i), pattern(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Put(ctx, "overcast/job-10/keep", []byte("x")); err != nil {
			t.Fatal(err)
		}
		n, err := b.RemoveAll(ctx, "overcast/job-1/")
		if err != nil || n != 30 {
			t.Fatalf("RemoveAll removed %d, %v; want 30", n, err)
		}
		if left, _ := b.List(ctx, "overcast/job-1/"); len(left) != 0 {
			t.Errorf("objects left under the prefix: %v", left)
		}
		if ok, _ := b.Exists(ctx, "overcast/job-10/keep"); !ok {
			t.Error("RemoveAll removed an object of another prefix")
		}
		if _, err := b.RemoveAll(ctx, ""); err == nil {
			t.Error("RemoveAll of the empty prefix succeeded, want a refusal")
		}
	})
}

// TestRemoveAllLeavesNoDirectories checks that cleaning a job out of a
// file bucket leaves no empty directories behind, and keeps the others.
func TestRemoveAllLeavesNoDirectories(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b, err := Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, k := range []string{"overcast/j1/in/0", "overcast/j1/out/0-1", "keep/x"} {
		if err := b.Put(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.RemoveAll(ctx, JobPrefix("j1")); err != nil {
		t.Fatal(err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		left = append(left, strings.TrimPrefix(p, dir))
		return nil
	})
	if got := fmt.Sprint(left); got != "[ /keep /keep/x /keep/x.attrs]" && got != "[ /keep /keep/x]" {
		t.Errorf("left in the bucket: %v", left)
	}
}

// TestFileBucketKeepsObjectsAsFiles checks that a file:// bucket is a
// plain directory a user can read without Overcast.
func TestFileBucketKeepsObjectsAsFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Put(context.Background(), "a/b.txt", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "a", "b.txt")); err != nil || string(got) != "hi" {
		t.Errorf("file holds %q, %v", got, err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "a", "*")); len(names) != 1 {
		t.Errorf("the directory holds %v, want the object's file alone (no .attrs sidecar)", names)
	}
}

// pattern returns n bytes that differ from any shifted copy of themselves.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestS3RangedReadsPrintNothing checks that the S3 client stays quiet on
// ranged reads, which come back without a whole-object checksum: the SDK
// would print a line to stderr for each.
func TestS3RangedReadsPrintNothing(t *testing.T) {
	u := s3test.Bucket(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = stderr }()
	ctx := context.Background()
	b, err := Open(ctx, u) // the SDK's logger takes os.Stderr here
	if err == nil {
		defer b.Close()
		if err = b.Put(ctx, "k", pattern(1000)); err == nil {
			_, err = b.GetRange(ctx, "k", 10, 10)
		}
	}
	os.Stderr = stderr
	w.Close()
	printed, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(printed) > 0 {
		t.Errorf("a ranged read printed %q to stderr", printed)
	}
}

// TestS3RemoveIsOneRequest checks that removing an object of an S3 bucket,
// or one already gone, sends one DELETE and no HEAD, and that a key
// gocloud escapes is still removed.
func TestS3RemoveIsOneRequest(t *testing.T) {
	counter := s3test.Start(t).Counter(t)
	ctx := context.Background()
	b, err := Open(ctx, counter.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, key := range []string{"overcast/job-1/part-0", "overcast/a/../b", "overcast/x\x01y", "overcast/__0x2f__"} {
		if err := b.Put(ctx, key, []byte("x")); err != nil {
			t.Fatal(err)
		}
		counter.Take()
		if err := b.Remove(ctx, key); err != nil {
			t.Fatalf("remove %q: %v", key, err)
		}
		if ok, err := b.Exists(ctx, key); ok || err != nil {
			t.Fatalf("%q after Remove: exists %v, %v", key, ok, err)
		}
	}
	if err := b.Put(ctx, "overcast/job-1/part-1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	counter.Take()
	for range 2 { // the second finds it gone
		if err := b.Remove(ctx, "overcast/job-1/part-1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := counter.Take(); n.Deletes != 2 || n.Requests() != 2 {
		t.Errorf("two removals of a plain key sent %+v, want 2 DELETEs and nothing else", n)
	}
}

// TestS3RemoveAllDeletesInBatches checks that RemoveAll of 1,003 objects
// of an S3 bucket, two of whose keys gocloud escapes, sends one list
// request per page, two DeleteObjects for the 1,001 plain keys and one
// DELETE (after a HEAD) for each escaped key, and leaves nothing under the prefix and
// the other prefix's object in place.
func TestS3RemoveAllDeletesInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a thousand objects to versitygw")
	}
	counter := s3test.Start(t).Counter(t)
	ctx := context.Background()
	b, err := Open(ctx, counter.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	keys := []string{"overcast/job-1/a/../b", "overcast/job-1/x\x01y"}
	for i := range 1001 {
		keys = append(keys, fmt.Sprintf("overcast/job-1/shuffle/%04d", i))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, k := range append(keys, "overcast/job-10/keep") {
		g.Go(func() error { return b.Put(gctx, k, []byte("x")) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	counter.Take()
	n, err := b.RemoveAll(ctx, "overcast/job-1/")
	if err != nil || n != len(keys) {
		t.Fatalf("RemoveAll removed %d, %v; want %d", n, err, len(keys))
	}
	// gocloud checks that an escaped key exists (a HEAD) before deleting it.
	if c := counter.Take(); c.Deletes != 4 || c.Lists != 2 || c.Heads > 2 || c.Gets+c.Puts != 0 {
		t.Errorf("RemoveAll of %d objects sent %+v; want 2 lists, 2 batch deletes and 2 single ones", len(keys), c)
	}
	if left, _ := b.List(ctx, "overcast/job-1/"); len(left) != 0 {
		t.Errorf("%d objects left under the prefix, first %q", len(left), left[0].Key)
	}
	if ok, _ := b.Exists(ctx, "overcast/job-10/keep"); !ok {
		t.Error("RemoveAll removed an object of another prefix")
	}
}
