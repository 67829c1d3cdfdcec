package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRejectsUnknownSchemes(t *testing.T) {
	for _, u := range []string{"", "bucket", "gs://b", "http://x", "/tmp/x", "s3://user:pw@b"} {
		if _, err := Open(context.Background(), u); !errors.Is(err, ErrBadURL) {
			t.Errorf("Open(%q): %v, want an error that is ErrBadURL", u, err)
		}
	}
}

func TestOpenFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "a/b", []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadAll(ctx, "a/b"); err != nil || string(got) != "hello" {
		t.Fatalf("read back %q, %v", got, err)
	}
}

func TestMemBucketsAreSharedByName(t *testing.T) {
	ctx := context.Background()
	a, _ := Open(ctx, "mem://shared-test")
	if err := a.WriteAll(ctx, "k", []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b, _ := Open(ctx, "mem://shared-test")
	if got, err := b.ReadAll(ctx, "k"); err != nil || string(got) != "v" {
		t.Fatalf("second open read %q, %v; want the first open's object", got, err)
	}
	c, _ := Open(ctx, "mem://other-test")
	if ok, _ := c.Exists(ctx, "k"); ok {
		t.Fatal("a differently named mem bucket sees the object")
	}
}

func TestOpenURLSplitsBucketAndKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "text.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, bucket, key string }{
		{"s3://bkt/data/part-0?endpoint=http://127.0.0.1:9&region=us-east-1&use_path_style=true",
			"s3://bkt?endpoint=http://127.0.0.1:9&region=us-east-1&use_path_style=true", "data/part-0"},
		{"mem://m/data/part-0", "mem://m", "data/part-0"},
		{"mem://m/data/", "mem://m", "data/"},
		{"file://" + dir + "/text.txt", "file://" + dir, "text.txt"},
		{"file://" + dir, "file://" + dir, ""},
		{"file://" + dir + "/out/", "file://" + dir + "/out", ""},
	} {
		b, key, err := OpenURL(ctx, c.in)
		if err != nil {
			t.Fatalf("OpenURL(%q): %v", c.in, err)
		}
		if b.URL != c.bucket || key != c.key {
			t.Errorf("OpenURL(%q) = %q, %q; want %q, %q", c.in, b.URL, key, c.bucket, c.key)
		}
		b.Close()
	}
}

// TestListFileLinksBySizeOfTarget lists a directory holding a symbolic
// link to a file: the link is an object of its target's size, as reading
// it reads the target (not the link's own few bytes, which cut a job's
// input short), and a link to a directory is an error that names it.
func TestListFileLinksBySizeOfTarget(t *testing.T) {
	ctx := context.Background()
	dir, elsewhere := t.TempDir(), t.TempDir()
	data := make([]byte, 5000)
	if err := os.WriteFile(filepath.Join(elsewhere, "real.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "real.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs, err := b.List(ctx, "")
	if err != nil || len(objs) != 1 || objs[0].Key != "link.txt" || objs[0].Size != int64(len(data)) {
		t.Fatalf("List: %v, %v; want link.txt of %d bytes", objs, err, len(data))
	}
	if got, err := b.Get(ctx, "link.txt"); err != nil || len(got) != len(data) {
		t.Fatalf("Get read %d bytes, %v", len(got), err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	_, err = b.List(ctx, "")
	if err == nil || !strings.Contains(err.Error(), "dirlink") || !strings.Contains(err.Error(), "a link to a directory or to no file") {
		t.Fatalf("List with a link to a directory: %v; want an error naming it", err)
	}
}
