package textgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestGenerate(t *testing.T) {
	words := []string{"the", "of", "and", "a", "zebra", "quixotic"}
	var a, b, c bytes.Buffer
	if err := Generate(&a, 100_000, 1, words); err != nil {
		t.Fatal(err)
	}
	Generate(&b, 100_000, 1, words)
	Generate(&c, 100_000, 2, words)
	if a.Len() != 100_000 || !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatalf("sizes %d, same seed equal %v, other seed equal %v", a.Len(), bytes.Equal(a.Bytes(), b.Bytes()), bytes.Equal(a.Bytes(), c.Bytes()))
	}
	counts := map[string]int{}
	for _, w := range bytes.Fields(a.Bytes()) {
		counts[string(w)]++
	}
	// Zipf: the commonest word is far commoner than the rarest.
	hi, lo := 0, 1<<30
	for _, w := range words {
		hi, lo = max(hi, counts[w]), min(lo, counts[w])
	}
	if hi < 3*lo {
		t.Fatalf("counts %v are not skewed", counts)
	}
	for _, size := range []int64{0, 1, 7} {
		var d bytes.Buffer
		if err := Generate(&d, size, 1, words); err != nil || int64(d.Len()) != size {
			t.Fatalf("size %d: %d bytes, %v", size, d.Len(), err)
		}
	}
	if err := Generate(&d0, 10, 1, nil); err == nil {
		t.Fatal("no words: no error")
	}
}

var d0 bytes.Buffer

func TestLoadWords(t *testing.T) {
	p := filepath.Join(t.TempDir(), "words")
	os.WriteFile(p, []byte("apple\n\nbanana split\ncherry\n"), 0o644)
	w, err := LoadWords(p)
	if err != nil || len(w) != 2 || w[1] != "cherry" {
		t.Fatalf("%q %v", w, err)
	}
	os.WriteFile(p, []byte("\n\n"), 0o644)
	if _, err := LoadWords(p); err == nil {
		t.Fatal("an empty list loaded")
	}
	if _, err := LoadWords(p + ".missing"); err == nil {
		t.Fatal("a missing list loaded")
	}
}
