package shuffle

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestHashBufferOrdersAndCombines emits many repeated keys into a small
// hash buffer, so that it combines several times before the end: every
// partition read back comes out in (hash, key) order, each key once, with
// the sum of its values. The keys include the empty one and keys longer
// than one and two bytes of length can say; the sums outgrow their
// values' encodings and some shrink back to zero.
func TestHashBufferOrdersAndCombines(t *testing.T) {
	sum := func(a, b int64) int64 { return a + b }
	for _, combine := range []func(a, b int64) int64{nil, sum} {
		r := rand.New(rand.NewPCG(5, 6))
		b := newHashBuffer[string, int64](nil, 3, stringCodec{}, intCodec[int64]{}, combine)
		keys := []string{"", "x", strings.Repeat("k", 127), strings.Repeat("k", 128), strings.Repeat("w", 16384), strings.Repeat("z", 70_000)}
		for i := range 3000 {
			keys = append(keys, fmt.Sprintf("k%d", i))
		}
		want := map[string]int64{}
		var emitted, combines int
		for i := range 20_000 {
			k := keys[r.IntN(len(keys))]
			v := int64(1)
			switch i % 7 {
			case 0:
				v = 1 << 40
			case 1:
				v = -1
			}
			held := b.held
			b.limit = 4000 // above the keys, so that each combine frees room
			b.emit(k, v)
			if b.held <= held {
				combines++
			}
			want[k] += v
			emitted++
		}
		if combine != nil && combines < 10 {
			t.Fatalf("%d combines before the end, want at least 10", combines)
		}
		got, pairs := readHashBuffer(t, b)
		for k, vs := range got {
			var n int64
			for _, v := range vs {
				n += v
			}
			if n != want[k] || combine != nil && len(vs) != 1 {
				t.Fatalf("key of %d bytes: values %v, want one summing to %d", len(k), vs, want[k])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d keys, want %d", len(got), len(want))
		}
		if combine == nil && pairs != emitted {
			t.Fatalf("%d pairs out of %d emitted", pairs, emitted)
		}
	}
}

// TestHashBufferCombineGrowsValues combines string values by keeping the
// greatest, so that a key's combined value is longer or shorter than the
// first one's, or as long: each key ends with its greatest value.
func TestHashBufferCombineGrowsValues(t *testing.T) {
	greatest := func(a, b string) string { return max(a, b) }
	r := rand.New(rand.NewPCG(7, 8))
	for _, limit := range []int{400, 1 << 20} {
		b := newHashBuffer[string, string](nil, 2, stringCodec{}, stringCodec{}, greatest)
		want := map[string]string{}
		for range 5000 {
			b.limit = limit
			k := fmt.Sprint(r.IntN(300))
			v := strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(300))
			b.emit(k, v)
			want[k] = max(want[k], v)
		}
		got, _ := readHashBuffer(t, b)
		if len(got) != len(want) {
			t.Fatalf("limit %d: %d keys, want %d", limit, len(got), len(want))
		}
		for k, vs := range got {
			if len(vs) != 1 || vs[0] != want[k] {
				t.Fatalf("limit %d: key %s has %d values, want one of %d bytes", limit, k, len(vs), len(want[k]))
			}
		}
	}
}

// TestHashBufferOrdersCollidingKeys gives the pairs of many distinct
// keys one of 16 hashes, as if keyHash collided, and finishes the buffer
// with and without a Combine: each partition is in (hash, key) order,
// each key once with the sum of its values when combined, and every
// pair kept when not.
func TestHashBufferOrdersCollidingKeys(t *testing.T) {
	for _, combine := range []func(a, b int64) int64{nil, func(a, b int64) int64 { return a + b }} {
		r := rand.New(rand.NewPCG(9, 10))
		b := newHashBuffer[string, int64](nil, 2, stringCodec{}, intCodec[int64]{}, combine)
		want := map[string]int64{}
		const emitted = 3000
		for range emitted {
			k := fmt.Sprint(r.IntN(500))
			b.emit(k, 3)
			want[k] += 3
		}
		for _, p := range b.parts {
			for i := range p {
				p[i].h &= 0xf << 60
			}
		}
		if err := b.finish(); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		pairs := 0
		for part, p := range b.parts {
			for i := range p {
				key, val, _ := b.record(p[i].off)
				if i > 0 {
					prev := b.key(p[i-1].off)
					if c := cmp.Or(cmp.Compare(p[i-1].h, p[i].h), bytes.Compare(prev, key)); c > 0 || c == 0 && combine != nil {
						t.Fatalf("partition %d: %x %q before %x %q", part, p[i-1].h, prev, p[i].h, key)
					}
				}
				v, err := intCodec[int64]{}.Decode(val)
				if err != nil {
					t.Fatal(err)
				}
				got[string(key)] += v
				pairs++
			}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("sums differ: %d keys, want %d", len(got), len(want))
		}
		if combine != nil && pairs != len(want) || combine == nil && pairs != emitted {
			t.Fatalf("%d pairs of %d emitted, %d keys (combine %v)", pairs, emitted, len(want), combine != nil)
		}
	}
}

// readHashBuffer finishes b, writes each partition and reads it back
// through a hash run, failing unless each record is in the partition of
// its hash and in (hash, key) order; it returns each key's values and
// the number of records.
func readHashBuffer[V any](t *testing.T, b *hashBuffer[string, V]) (map[string][]V, int) {
	t.Helper()
	if err := b.finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string][]V{}
	records := 0
	for part := range b.reducers {
		var obj bytes.Buffer
		n, err := b.write(&obj, part)
		if err != nil || n != int64(obj.Len()) {
			t.Fatalf("write partition %d: %d bytes of %d, %v", part, n, obj.Len(), err)
		}
		hr := &hashRun{rd: io.NopCloser(&obj), buf: make([]byte, 64)}
		var h uint64
		var key string
		for i := 0; ; i++ {
			ok, err := hr.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				if i != b.size(part) {
					t.Fatalf("partition %d: %d records, size %d", part, i, b.size(part))
				}
				break
			}
			if hashPartition(hr.h, b.reducers) != part {
				t.Fatalf("key of %d bytes in partition %d with hash %x", len(hr.key), part, hr.h)
			}
			if i > 0 && (h > hr.h || h == hr.h && key > string(hr.key)) {
				t.Fatalf("partition %d out of order at %d", part, i)
			}
			h, key = hr.h, string(hr.key)
			v, err := b.values.Decode(hr.val)
			if err != nil {
				t.Fatal(err)
			}
			got[key] = append(got[key], v)
			records++
		}
	}
	return got, records
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
				if r.h != keyHash(r.key) {
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
// reports ns/pair emitted, in wall time and in the process's CPU time,
// which other processes' load on the machine inflates less.
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
			runtime.GC() // of the keys' making, not to count below
			c0 := cpuSeconds()
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
			pairs := float64(b.N * len(c.keys))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/pairs, "ns/pair")
			b.ReportMetric((cpuSeconds()-c0)*1e9/pairs, "cpu-ns/pair")
		})
	}
}
