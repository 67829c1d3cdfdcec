package storage

import (
	"context"
	"strings"
	"testing"
)

func TestReadRange(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"file://" + t.TempDir(), "mem://readrange-test"} {
		b, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "k", []byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, 4)
		if err := b.ReadRange(ctx, "k", 3, dst); err != nil || string(dst) != "3456" {
			t.Errorf("%s: read %q, %v; want 3456", url, dst, err)
		}
		err = b.ReadRange(ctx, "k", 8, dst)
		if err == nil || !strings.Contains(err.Error(), "holds 10 bytes, not 12") {
			t.Errorf("%s: a range past the end: %v, want a short read", url, err)
		}
		if err := b.ReadRange(ctx, "missing", 0, dst); !IsNotFound(err) {
			t.Errorf("%s: a missing object: %v", url, err)
		}
		b.Close()
	}
}
