package shuffle

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestHashBufferOrdersAndCombines emits many repeated keys into a small
// hash buffer, so that it combines several times before the end: every
// partition comes out in (hash, key) order, each key once, with the sum
// of its values.
func TestHashBufferOrdersAndCombines(t *testing.T) {
	for _, combine := range []func(a, b int64) int64{nil, func(a, b int64) int64 { return a + b }} {
		r := rand.New(rand.NewPCG(5, 6))
		b := newHashBuffer[string, int64](nil, 3, stringCodec{}, intCodec[int64]{}, combine)
		b.limit = 500
		want := map[string]int64{}
		var emitted int
		for range 20_000 {
			k := fmt.Sprintf("k%d", r.IntN(3000))
			b.emit(k, 1)
			want[k]++
			emitted++
		}
		if err := b.finish(); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		var pairs int
		for part, p := range b.parts {
			for i := range p {
				k := string(b.key(&p[i]))
				if fnv64([]byte(k))%3 != uint64(part) || p[i].h != fnv64([]byte(k)) {
					t.Fatalf("key %q in partition %d with hash %x", k, part, p[i].h)
				}
				if i > 0 && (p[i-1].h > p[i].h || p[i-1].h == p[i].h && bytes.Compare(b.key(&p[i-1]), b.key(&p[i])) > 0) {
					t.Fatalf("partition %d out of order at %d", part, i)
				}
				got[k] += p[i].v
			}
			pairs += len(p)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("counts differ: %d keys, want %d", len(got), len(want))
		}
		if combine != nil && pairs != len(want) || combine == nil && pairs != emitted {
			t.Fatalf("%d pairs out of %d emitted, %d keys (combine %v)", pairs, emitted, len(want), combine != nil)
		}
	}
}

// TestHashRunReadsWhatWasWritten writes a partition through a hash
// buffer and reads it back through a hash run with a buffer too small
// for some records, then reads every prefix of it: a prefix cut inside a
// record is an error, never a shorter run.
func TestHashRunReadsWhatWasWritten(t *testing.T) {
	b := newHashBuffer[string, int64](nil, 1, stringCodec{}, intCodec[int64]{}, nil)
	keys := []string{"", "a", strings.Repeat("long", 40), "b", "a"}
	for i, k := range keys {
		b.emit(k, int64(i)-2)
	}
	if err := b.finish(); err != nil {
		t.Fatal(err)
	}
	var obj bytes.Buffer
	if _, err := b.write(&obj, 0); err != nil {
		t.Fatal(err)
	}
	var ends []int
	for n := range obj.Len() + 1 {
		r := &hashRun{rd: io.NopCloser(bytes.NewReader(obj.Bytes()[:n])), buf: make([]byte, 3)}
		var got []string
		var err error
		for ok := true; ok && err == nil; {
			if ok, err = r.next(); ok {
				v, _ := intCodec[int64]{}.Decode(r.val)
				got = append(got, fmt.Sprintf("%s=%d", r.key, v))
				if r.h != fnv64(r.key) {
					t.Fatalf("hash %x of %q", r.h, r.key)
				}
			}
		}
		if err == nil {
			ends = append(ends, n)
		}
		if n == obj.Len() && len(got) != len(keys) {
			t.Fatalf("read %v (%v), wrote %d pairs", got, err, len(keys))
		}
	}
	if len(ends) != len(keys)+1 {
		t.Fatalf("prefixes read without error end at %v; want the %d record boundaries", ends, len(keys)+1)
	}
}

// TestHashMergerBatches merges hash-ordered runs, with keys repeated
// within and across runs, slice by slice at several slice widths: the
// keys come out once each in (hash, key) order, each with its values in
// run order, then in the order the run held them, as a k-way merge of
// the runs would give them.
func TestHashMergerBatches(t *testing.T) {
	type rec struct {
		h   uint64
		key string
		v   int64
	}
	r := rand.New(rand.NewPCG(8, 9))
	var objs [][]byte
	var all []rec
	for run := range 7 {
		b := newHashBuffer[string, int64](nil, 1, stringCodec{}, intCodec[int64]{}, nil)
		for i := range 300 + r.IntN(300) {
			k := fmt.Sprintf("k%d", r.IntN(400))
			switch {
			case i%10 == 0:
				k = "hot" // more than a bucket sorts by insertion
			case i%97 == 0:
				k = ""
			}
			v := int64(run*10_000 + i)
			b.emit(k, v)
		}
		if err := b.finish(); err != nil {
			t.Fatal(err)
		}
		var obj bytes.Buffer
		if _, err := b.write(&obj, 0); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, obj.Bytes())
		hr := &hashRun{rd: io.NopCloser(&obj), buf: make([]byte, 64)}
		for { // in run order, then in the order the run holds them
			ok, err := hr.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			v, _ := intCodec[int64]{}.Decode(hr.val)
			all = append(all, rec{hr.h, string(hr.key), v})
		}
	}
	if len(objs[0]) == 0 {
		t.Fatal("empty run")
	}
	objs = append(objs[:3], append([][]byte{nil}, objs[3:]...)...) // an empty object
	slices.SortStableFunc(all, func(x, y rec) int {
		return cmp.Or(cmp.Compare(x.h, y.h), strings.Compare(x.key, y.key))
	})
	var want []string
	for i, x := range all {
		if i == 0 || x.key != all[i-1].key {
			want = append(want, "|"+x.key+":")
		}
		want = append(want, fmt.Sprint(x.v))
	}
	for _, shift := range []uint{0, 8, 40, 58, 62, 63} {
		m := &hashMerger[int64]{vals: intCodec[int64]{}, shift: shift}
		for _, obj := range objs {
			if err := m.add(io.NopCloser(bytes.NewReader(obj))); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for {
			k, ok, err := m.nextKey()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, "|"+string(k)+":")
			for v := range m.values {
				got = append(got, fmt.Sprint(v))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("shift %d: merged %d keys and values, want %d; first %.200v", shift, len(got), len(want), got)
		}
		if m.nvals != int64(len(all)) {
			t.Fatalf("shift %d: %d values counted, want %d", shift, m.nvals, len(all))
		}
	}
}

// wordPairs returns n distinct word-like keys, 1 to 20 bytes of
// lowercase letters (most of them 5 to 10), in random order, each with a
// Zipf-distributed count: what a word count's map task emits.
func wordPairs(n int) ([]string, []int64) {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, 1<<20)
	seen := make(map[string]bool, n)
	keys := make([]string, 0, n)
	counts := make([]int64, 0, n)
	var w []byte
	for len(keys) < n {
		w = w[:0]
		for range 1 + min(19, r.IntN(6)+r.IntN(6)+r.IntN(4)) {
			w = append(w, byte('a'+r.IntN(26)))
		}
		if !seen[string(w)] {
			seen[string(w)] = true
			keys = append(keys, string(w))
			counts = append(counts, int64(z.Uint64())+1)
		}
	}
	return keys, counts
}

// BenchmarkHashBufferWordPairs runs the map side of a word count's
// shuffle for one task through a reused hash buffer with a Combine and
// 2 reducers: "distinct" emits 131,072 distinct words once each with
// their counts, as wordcount's mapper does, "repeated" emits 2^20 pairs
// of 65,536 words with count 1, which combines when the buffer is full.
// It finishes the buffer and writes every partition to io.Discard, and
// reports ns/pair emitted.
func BenchmarkHashBufferWordPairs(b *testing.B) {
	sum := func(a, b int64) int64 { return a + b }
	distinct, counts := wordPairs(1 << 17)
	var repeated []string
	r := rand.New(rand.NewPCG(3, 4))
	for range 1 << 20 {
		repeated = append(repeated, distinct[r.IntN(1<<16)])
	}
	for _, c := range []struct {
		name   string
		keys   []string
		counts []int64
	}{{"distinct", distinct, counts}, {"repeated", repeated, nil}} {
		b.Run(c.name, func(b *testing.B) {
			spare := newFreeList[*hashBuffer[string, int64]]()
			for b.Loop() {
				hb, _ := spare.get()
				hb = hb.reset(nil, 2, stringCodec{}, intCodec[int64]{}, sum, spare)
				for i, k := range c.keys {
					v := int64(1)
					if c.counts != nil {
						v = c.counts[i]
					}
					hb.emit(k, v)
				}
				if err := hb.finish(); err != nil {
					b.Fatal(err)
				}
				for r := range 2 {
					if _, err := hb.write(io.Discard, r); err != nil {
						b.Fatal(err)
					}
				}
				hb.release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(c.keys)), "ns/pair")
		})
	}
}
