package shuffle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// readLog records the regions of intermediate objects that tasks read
// (onRead).
type readLog struct {
	mu   sync.Mutex
	regs []overcast.Range
}

// watchReads records the intermediate regions read until the test ends.
func watchReads(t *testing.T) *readLog {
	l := &readLog{}
	onRead = func(rg overcast.Range) {
		if strings.HasPrefix(rg.Key, "overcast/") {
			l.mu.Lock()
			l.regs = append(l.regs, rg)
			l.mu.Unlock()
		}
	}
	t.Cleanup(func() { onRead = nil })
	return l
}

// of returns how many regions of key were read.
func (l *readLog) of(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, rg := range l.regs {
		if rg.Key == key {
			n++
		}
	}
	return n
}

func (l *readLog) all() []overcast.Range {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.regs)
}

// digitPart sends a word to the partition its last byte, a digit, names
// (modulo reducers): a test's words choose which partitions are empty.
func digitPart(k string, reducers int) int { return int(k[len(k)-1]-'0') % reducers }

var (
	digits = Define(Job[string, int64]{Name: "shuffletest/digits", Map: countMap, Reduce: countReduce,
		Partition: digitPart})
	digitsUnordered = Define(Job[string, int64]{Name: "shuffletest/digits-unordered", Map: countMap, Reduce: countReduce,
		Partition: digitPart, Unordered: true})
)

// newTextFixture writes texts as objects in a file bucket and cuts them
// into chunks of about chunk bytes.
func newTextFixture(t *testing.T, chunk int64, texts ...string) *fixture {
	ctx := context.Background()
	f := &fixture{dir: t.TempDir(), counts: map[string]int64{}}
	b, err := storage.Open(ctx, "file://"+f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f.bucket = b
	var keys []string
	for i, text := range texts {
		for _, w := range strings.Fields(text) {
			f.counts[w]++
			f.words++
		}
		key := fmt.Sprintf("in/%02d.txt", i)
		keys = append(keys, key)
		if err := b.WriteAll(ctx, key, []byte(text), nil); err != nil {
			t.Fatal(err)
		}
	}
	if f.chunks, err = overcast.Partition(ctx, b, keys, chunk); err != nil {
		t.Fatal(err)
	}
	return f
}

// decodeKeys decodes a region of pair records into their keys, failing
// on a record cut by the region's end.
func decodeKeys(t *testing.T, data []byte) []string {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(data))
	var keys []string
	for {
		k, err := readField(br, nil, true)
		if err != nil {
			if err != io.EOF {
				t.Fatalf("region: %v", err)
			}
			return keys
		}
		if _, err := readField(br, nil, false); err != nil {
			t.Fatalf("region: %v", err)
		}
		keys = append(keys, string(k))
	}
}

// TestMapObjectBoundaries runs map tasks directly and reads back each
// partition's region of the one object they wrote: every region holds
// exactly its partition's records, however few (one record, none), at
// the first and the last partition as well as between.
func TestMapObjectBoundaries(t *testing.T) {
	for _, tc := range []struct {
		text string
		want [][]string // each partition's keys, sorted
	}{
		{"x0 y1 z0 y0\nx3\n", [][]string{{"x0", "y0", "z0"}, {"y1"}, nil, {"x3"}}},
		{"b1 c2\n", [][]string{nil, {"b1"}, {"c2"}, nil}},
		{"a3\n", [][]string{nil, nil, nil, {"a3"}}},
		{"a0\n", [][]string{{"a0"}, nil, nil, nil}},
	} {
		for _, job := range []*Job[string, int64]{digits, digitsUnordered} {
			t.Run(job.Name+"/"+strings.Fields(tc.text)[0], func(t *testing.T) {
				ctx := context.Background()
				f := newTextFixture(t, 1<<20, tc.text)
				url := "file://" + f.dir
				out, err := job.mapTask(ctx, mapInput{Job: "boundaries", Storage: url, Index: 0, Reducers: 4, Chunk: f.chunks[0]})
				if err != nil {
					t.Fatal(err)
				}
				obj, err := f.bucket.ReadAll(ctx, out.Key)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Ends) != 4 || out.Ends[3] != int64(len(obj)) || out.Parts != nil {
					t.Fatalf("ends %v, parts %v for an object of %d bytes", out.Ends, out.Parts, len(obj))
				}
				var start int64
				for r, end := range out.Ends {
					got := decodeKeys(t, obj[start:end])
					slices.Sort(got)
					if !slices.Equal(got, tc.want[r]) {
						t.Errorf("partition %d, bytes %d to %d: keys %q, want %q", r, start, end, got, tc.want[r])
					}
					start = end
				}
				if objs := listAll(t, f.bucket, shufflePrefix("boundaries")); len(objs) != 1 {
					t.Errorf("the map task wrote %v, want one object", objs)
				}
			})
		}
	}
}

// TestEmptyPartitionsCostNoRead runs jobs whose keys leave some
// partitions, the last among them, empty in every map task, and others
// empty in some: reducers make one ranged read per non-empty region of a
// map task's object, none of an empty one, and count exactly.
func TestEmptyPartitionsCostNoRead(t *testing.T) {
	texts := []string{
		"a0 b2 c5 a0\nb5 b5\n",
		"c2 c2 c2\n",
		"d0\n",
		"e5 e5 a0 b2\n",
	}
	const reducers = 7 // digits 0, 2 and 5: partitions 1, 3, 4 and 6 empty
	for _, job := range []*Job[string, int64]{digits, digitsUnordered} {
		t.Run(job.Name, func(t *testing.T) {
			f := newTextFixture(t, 10, texts...)
			reads := watchReads(t)
			res, err := job.Run(context.Background(), newExecutor(t, nil), f.chunks, Config[string]{
				Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out/", Reducers: reducers})
			if err != nil {
				t.Fatal(err)
			}
			checkExact(t, f, res, reducers)
			want := nonEmptyRegions(t, f, reducers)
			got := reads.all()
			if len(got) != want {
				t.Errorf("%d ranged reads, want %d (one per non-empty region): %v", len(got), want, got)
			}
			for _, rg := range got {
				if rg.Length <= 0 {
					t.Errorf("read region %+v", rg)
				}
			}
			if n := res.ReduceCounters["shuffle_reads"]; n != int64(want) {
				t.Errorf("reducers counted %d reads, want %d", n, want)
			}
			if n := res.MapCounters["shuffle_objects"]; n != int64(len(f.chunks)) {
				t.Errorf("%d intermediate objects for %d map tasks", n, len(f.chunks))
			}
		})
	}
}

// nonEmptyRegions returns how many partitions of the fixture's chunks,
// cut by digitPart, hold a word: the regions a shuffle of them reads. It
// fails the test unless there are several chunks.
func nonEmptyRegions(t *testing.T, f *fixture, reducers int) int {
	t.Helper()
	if len(f.chunks) < 3 {
		t.Fatalf("%d chunks, want several", len(f.chunks))
	}
	n := 0
	for _, c := range f.chunks {
		parts := map[int]bool{}
		for rec, err := range c.Records(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range strings.Fields(string(rec)) {
				parts[digitPart(w, reducers)] = true
			}
		}
		n += len(parts)
	}
	return n
}

// TestRecordEmptyPartitionsCostNoRead sorts with splitters that leave the
// first and a middle partition empty: reducers read each non-empty region
// once and no empty one.
func TestRecordEmptyPartitionsCostNoRead(t *testing.T) {
	f := newRecordFixture(t, 4000, 600, 300)
	splitters := []string{"\x00", "a", "a", "z"} // keys are 5 bytes: none below "\x00", none in ["a", "a")
	reads := watchReads(t)
	res := f.run(t, plainSorter, newExecutor(t, nil), len(splitters)+1, splitters)
	f.check(t, res, len(splitters)+1, true)
	kp := newKeyParts(testKey, len(splitters)+1, [][]byte{[]byte("\x00"), []byte("a"), []byte("a"), []byte("z")})
	want := 0
	for _, c := range f.chunks {
		parts := map[int]bool{}
		for rec, err := range c.Records(context.Background()) {
			if err != nil {
				t.Fatal(err)
			}
			parts[kp.part(rec)] = true
		}
		if parts[0] || parts[2] {
			t.Fatalf("a record in partition 0 or 2: %v", parts)
		}
		want += len(parts)
	}
	got := reads.all()
	if len(got) != want || res.ReduceCounters["shuffle_reads"] != int64(want) {
		t.Errorf("%d ranged reads (%d counted), want %d: %v", len(got), res.ReduceCounters["shuffle_reads"], want, got)
	}
	for _, rg := range got {
		if rg.Length <= 0 {
			t.Errorf("read region %+v", rg)
		}
	}
}

// TestRecordMapObjectBoundaries runs a record map task directly: its
// object's regions hold exactly their partitions' records, one record in
// a middle partition and one in the last.
func TestRecordMapObjectBoundaries(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := storage.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rec := func(key string) []byte { return []byte(fmt.Sprintf("%-5s%011d", key, len(key))) }
	in := slices.Concat(rec("zzzzz"), rec("aaaab"), rec("bbbbb"), rec("aaaaa"))
	if err := b.Put(ctx, "in", in); err != nil {
		t.Fatal(err)
	}
	chunk := overcast.Chunk{Bucket: "file://" + dir, Ranges: []overcast.Range{{Key: "in", Length: int64(len(in))}}, RecordSize: testRecord}
	splitters := [][]byte{[]byte("b"), []byte("c"), []byte("z")}
	out, err := plainSorter.mapTask(ctx, recordMapInput{Job: "boundaries", Storage: "file://" + dir, Reducers: 4, Splitters: splitters, Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{32, 48, 48, 64}; !slices.Equal(out.Ends, want) {
		t.Fatalf("ends %v, want %v", out.Ends, want)
	}
	obj, err := b.Get(ctx, out.Key)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{slices.Concat(rec("aaaab"), rec("aaaaa")), rec("bbbbb"), nil, rec("zzzzz")}
	var start int64
	for r, end := range out.Ends {
		if got := obj[start:end]; !bytes.Equal(got, want[r]) {
			t.Errorf("partition %d: %q, want %q", r, got, want[r])
		}
		start = end
	}
}

// TestOldMapOutputReadWhole decodes the map output of a run before
// partitions shared one object, as a journal of such a run hands it back
// on resume: each named object is one partition, read whole, and an
// output that names no partitions is refused.
func TestOldMapOutputReadWhole(t *testing.T) {
	ctx := context.Background()
	f := newTextFixture(t, 1<<20, "a1 b1 a1\n")
	url := "file://" + f.dir
	// With one reducer, the object is one partition whole: the old layout.
	out, err := digits.mapTask(ctx, mapInput{Job: "old", Storage: url, Reducers: 1, Chunk: f.chunks[0]})
	if err != nil {
		t.Fatal(err)
	}
	var old mapOutput
	if err := json.Unmarshal([]byte(`{"parts":["","`+out.Key+`",""],"counters":{"pairs":3}}`), &old); err != nil {
		t.Fatal(err)
	}
	parts := make([][]overcast.Range, 3)
	if err := old.regions(parts); err != nil {
		t.Fatal(err)
	}
	if len(parts[0]) != 0 || len(parts[2]) != 0 || len(parts[1]) != 1 || parts[1][0] != (overcast.Range{Key: out.Key, Length: -1}) {
		t.Fatalf("regions %v", parts)
	}
	reads := watchReads(t)
	res, err := digits.reduceTask(ctx, reduceInput{Job: "old", Storage: url, Part: 1, Inputs: parts[1],
		OutBucket: url, OutPrefix: "out/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readCounts(t, f.bucket, []string{res.Output}); !maps.Equal(got, f.counts) {
		t.Errorf("counts %v, want %v", got, f.counts)
	}
	if got := reads.all(); len(got) != 1 {
		t.Errorf("reads %v, want the object once", got)
	}
	var none mapOutput
	if err := json.Unmarshal([]byte(`{"counters":{}}`), &none); err != nil {
		t.Fatal(err)
	}
	if err := none.regions(parts); err == nil || !strings.Contains(err.Error(), "named 0 partitions, want 3") {
		t.Errorf("an output naming no partition: %v", err)
	}
}

// TestRegionPastObjectEnd gives a reducer a region that ends after its
// object does: it fails rather than read a short partition.
func TestRegionPastObjectEnd(t *testing.T) {
	ctx := context.Background()
	f := newTextFixture(t, 1<<20, "a1 b1 a1\n")
	url := "file://" + f.dir
	out, err := digits.mapTask(ctx, mapInput{Job: "short", Storage: url, Reducers: 1, Chunk: f.chunks[0]})
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range []*Job[string, int64]{digits, digitsUnordered} {
		_, err = job.reduceTask(ctx, reduceInput{Job: "short", Storage: url, Inputs: []overcast.Range{{Key: out.Key, Length: out.Ends[0] + 1}}})
		if err == nil || !strings.Contains(err.Error(), "holds") {
			t.Errorf("%s: a region past the object's end: %v", job.Name, err)
		}
	}
}

// TestMapOutputRefusesBadEnds checks the driver's reading of map outputs:
// partition ends out of order, of no object, or of another partition
// count are refused with the reason.
func TestMapOutputRefusesBadEnds(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want string
	}{
		{`{"key":"k","ends":[4,2,9]}`, "partition 1 spans bytes 4 to 2"},
		{`{"ends":[0,3,3]}`, "of no object"},
		{`{"key":"k","ends":[1,2]}`, "named 2 partitions, want 3"},
		{`{"parts":["a",""]}`, "named 2 partitions, want 3"},
	} {
		var o mapOutput
		if err := json.Unmarshal([]byte(tc.out), &o); err != nil {
			t.Fatal(err)
		}
		err := o.regions(make([][]overcast.Range, 3))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.out, err, tc.want)
		}
	}
	var o mapOutput
	if err := json.Unmarshal([]byte(`{"ends":[0,0,0]}`), &o); err != nil {
		t.Fatal(err)
	}
	parts := make([][]overcast.Range, 3)
	if err := o.regions(parts); err != nil || slices.ContainsFunc(parts, func(p []overcast.Range) bool { return len(p) > 0 }) {
		t.Errorf("a map task that emitted nothing: %v, %v", err, parts)
	}
}
