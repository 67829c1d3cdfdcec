package storage

import (
	"context"
	"strings"
	"testing"
)

func TestOpenRejectsUnknownSchemes(t *testing.T) {
	for _, u := range []string{"", "bucket", "gs://b", "http://x"} {
		if _, err := Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
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
	got, err := b.ReadAll(ctx, "a/b")
	if err != nil || !strings.EqualFold(string(got), "hello") {
		t.Fatalf("read back %q, %v", got, err)
	}
}
