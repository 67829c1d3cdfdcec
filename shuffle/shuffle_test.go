package shuffle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// stall makes the first attempt of map task stallMap, or of reduce task
// stallReduce, sleep (ignoring its context) before it goes on, so that a
// backup copy overtakes it and both write; -1 means none.
var stallMap, stallReduce atomic.Int32

func init() {
	stallMap.Store(-1)
	stallReduce.Store(-1)
}

func firstAttempt(ctx context.Context) bool {
	r := worker.RequestFrom(ctx)
	return r != nil && r.Attempt == 1
}

// maybeStall stalls the first attempt of the task which names, once (a
// reducer calls it for every key).
func maybeStall(ctx context.Context, which *atomic.Int32, index int) {
	if int(which.Load()) == index && firstAttempt(ctx) && which.CompareAndSwap(int32(index), -1) {
		time.Sleep(1500 * time.Millisecond)
	}
}

func countMap(ctx context.Context, in overcast.Chunk, emit func(string, int64)) error {
	if r := worker.RequestFrom(ctx); r != nil {
		maybeStall(ctx, &stallMap, r.Index)
	}
	var words int64
	for rec, err := range in.Records(ctx) {
		if err != nil {
			return err
		}
		for _, w := range bytes.Fields(rec) {
			emit(string(w), 1)
			words++
		}
	}
	Count(ctx, "words", words)
	return nil
}

func countReduce(ctx context.Context, word string, counts iter.Seq[int64], out io.Writer) error {
	if r := worker.RequestFrom(ctx); r != nil {
		maybeStall(ctx, &stallReduce, r.Index)
	}
	var n int64
	for c := range counts {
		n += c
	}
	Count(ctx, "words", n)
	_, err := fmt.Fprintf(out, "%s\t%d\n", word, n)
	return err
}

var (
	combined = Define(Job[string, int64]{Name: "shuffletest/combined", Map: countMap, Reduce: countReduce,
		Combine: func(a, b int64) int64 { return a + b }})
	uncombined = Define(Job[string, int64]{Name: "shuffletest/uncombined", Map: countMap, Reduce: countReduce})
	unordered  = Define(Job[string, int64]{Name: "shuffletest/unordered", Map: countMap, Reduce: countReduce,
		Combine: func(a, b int64) int64 { return a + b }, Unordered: true, BorrowKeys: true})
	unorderedUncombined = Define(Job[string, int64]{Name: "shuffletest/unordered-uncombined", Map: countMap, Reduce: countReduce,
		Unordered: true})
	sorter = Define(Job[string, string]{Name: "shuffletest/sort",
		Map: func(ctx context.Context, in overcast.Chunk, emit func(string, string)) error {
			for rec, err := range in.Records(ctx) {
				if err != nil {
					return err
				}
				emit(string(rec[:4]), string(rec[4:]))
			}
			return nil
		},
		Reduce: func(ctx context.Context, key string, vals iter.Seq[string], out io.Writer) error {
			for v := range vals {
				if _, err := fmt.Fprintf(out, "%s%s\n", key, v); err != nil {
					return err
				}
			}
			return nil
		}})
)

// fixture is an input in a file bucket and what it holds.
type fixture struct {
	dir    string
	bucket *storage.Bucket
	chunks []overcast.Chunk
	counts map[string]int64
	words  int64
}

func newFixture(t *testing.T, objects, lines int, chunk int64) *fixture {
	ctx := context.Background()
	f := &fixture{dir: t.TempDir(), counts: map[string]int64{}}
	b, err := storage.Open(ctx, "file://"+f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f.bucket = b
	r := rand.New(rand.NewPCG(7, uint64(objects)))
	var keys []string
	for o := range objects {
		var buf bytes.Buffer
		for range lines {
			for range r.IntN(8) {
				w := fmt.Sprintf("w%d", r.IntN(200)*r.IntN(20))
				f.counts[w]++
				f.words++
				buf.WriteString(w + " ")
			}
			buf.WriteByte('\n')
		}
		key := fmt.Sprintf("in/%02d.txt", o)
		keys = append(keys, key)
		if err := b.WriteAll(ctx, key, buf.Bytes(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if f.chunks, err = overcast.Partition(ctx, b, keys, chunk); err != nil {
		t.Fatal(err)
	}
	return f
}

func newExecutor(t *testing.T, opts *overcast.Options) *overcast.Executor {
	ex, err := overcast.NewExecutor(context.Background(), "local://?workers=4", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	return ex
}

// readCounts reads reducer outputs of word\tcount lines, failing on a
// word seen twice.
func readCounts(t *testing.T, b *storage.Bucket, keys []string) map[string]int64 {
	got := map[string]int64{}
	for _, k := range keys {
		data, err := b.ReadAll(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			w, n, _ := strings.Cut(sc.Text(), "\t")
			c, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatalf("%s: bad line %q", k, sc.Text())
			}
			if _, dup := got[w]; dup {
				t.Fatalf("word %q in two reducers' outputs", w)
			}
			got[w] = c
		}
	}
	return got
}

// listAll lists every object key under prefix.
func listAll(t *testing.T, b *storage.Bucket, prefix string) []string {
	objs, err := b.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// checkExact checks a word count run against the fixture: per-word
// counts, totals from both phases, one output per reducer and no
// intermediate object left.
func checkExact(t *testing.T, f *fixture, res *Result, reducers int) {
	t.Helper()
	ob, err := storage.Open(context.Background(), res.OutputBucket)
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	got := readCounts(t, ob, res.Outputs)
	if !maps.Equal(got, f.counts) {
		t.Fatalf("counts differ: %d words counted, want %d", len(got), len(f.counts))
	}
	if res.MapCounters["words"] != f.words || res.ReduceCounters["words"] != f.words {
		t.Fatalf("words: map %d, reduce %d, want %d", res.MapCounters["words"], res.ReduceCounters["words"], f.words)
	}
	if res.ReduceCounters["keys"] != int64(len(f.counts)) {
		t.Fatalf("reducers saw %d keys, want %d", res.ReduceCounters["keys"], len(f.counts))
	}
	if out := listAll(t, f.bucket, "out/part-"); len(out) != reducers {
		t.Fatalf("output objects %v, want the %d outputs %v", out, reducers, res.Outputs)
	}
	if m, err := f.bucket.ReadAll(context.Background(), "out/"+ManifestName); err != nil ||
		strings.Join(strings.Fields(string(m)), " ") != strings.Join(res.Outputs, " ") {
		t.Fatalf("manifest %q, %v; want the outputs %v", m, err, res.Outputs)
	}
	if left := listAll(t, f.bucket, "overcast/"); len(left) != 0 {
		t.Fatalf("intermediate objects left: %v", left)
	}
}

func TestWordCountExact(t *testing.T) {
	for _, tc := range []struct {
		name     string
		job      *Job[string, int64]
		reducers int
		chunk    int64
	}{
		{"combined", combined, 3, 2000},
		{"uncombined", uncombined, 4, 700},
		{"one reducer", combined, 1, 1 << 20},
		{"many reducers", uncombined, 40, 5000},
		{"unordered", unordered, 3, 2000},
		{"unordered, one reducer", unordered, 1, 1 << 20},
		{"unordered uncombined", unorderedUncombined, 4, 700},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 5, 200, tc.chunk)
			ex := newExecutor(t, nil)
			res, err := tc.job.Run(context.Background(), ex, f.chunks, Config[string]{
				Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out/", Reducers: tc.reducers})
			if err != nil {
				t.Fatal(err)
			}
			checkExact(t, f, res, len(res.Outputs))
			if len(res.Outputs) != tc.reducers {
				t.Fatalf("%d outputs for %d reducers", len(res.Outputs), tc.reducers)
			}
			if rep := res.Report(); rep.Tasks != len(f.chunks)+tc.reducers {
				t.Fatalf("report of %d tasks, want %d", rep.Tasks, len(f.chunks)+tc.reducers)
			}
		})
	}
}

// TestMapFailsAfterWriting fails the first attempt of a map task after it
// has written its object: the retry's object, not both, reaches the
// reducers, the failed attempt's object is never read, and the run
// removes it.
func TestMapFailsAfterWriting(t *testing.T) {
	for _, job := range []*Job[string, int64]{uncombined, unorderedUncombined} {
		t.Run(job.Name, func(t *testing.T) {
			f := newFixture(t, 3, 300, 1500)
			var failed atomic.Int32
			var failedKey string
			afterWrite = func(ctx context.Context, index int, key string) error {
				if index == 1 && firstAttempt(ctx) {
					failed.Add(1)
					failedKey = key
					if ok, err := f.bucket.Exists(ctx, key); !ok || err != nil {
						t.Errorf("the failing attempt's object %s: exists %v, %v", key, ok, err)
					}
					return errors.New("crash after writing")
				}
				return nil
			}
			defer func() { afterWrite = nil }()
			reads := watchReads(t)
			ex := newExecutor(t, &overcast.Options{RetryTaskErrors: true, MaxAttempts: 3, BackoffBase: time.Millisecond})
			res, err := job.Run(context.Background(), ex, f.chunks, Config[string]{
				Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out", Reducers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if failed.Load() != 1 || res.Map.Retries < 1 {
				t.Fatalf("the first attempt failed %d times, %d retries", failed.Load(), res.Map.Retries)
			}
			if n := reads.of(failedKey); n != 0 {
				t.Errorf("reducers read the failed attempt's object %s %d times", failedKey, n)
			}
			checkExact(t, f, res, 3)
		})
	}
}

// TestBackupsRace stalls the first attempt of a map task and of a reduce
// task past the point where the scheduler launches a backup copy: both
// copies write, one is taken, and the records are exact.
func TestBackupsRace(t *testing.T) {
	if testing.Short() {
		t.Skip("stalls for seconds")
	}
	for _, job := range []*Job[string, int64]{combined, unordered} {
		t.Run(job.Name, func(t *testing.T) {
			stallMap.Store(2)
			stallReduce.Store(1)
			defer stallMap.Store(-1)
			defer stallReduce.Store(-1)
			f := newFixture(t, 4, 300, 1000)
			ex := newExecutor(t, &overcast.Options{Speculation: overcast.Speculation{Min: 20 * time.Millisecond, After: 0.5}})
			res, err := job.Run(context.Background(), ex, f.chunks, Config[string]{
				Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out", Reducers: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Map.BackupWins < 1 || res.Reduce.BackupWins < 1 {
				t.Fatalf("backup wins: map %d, reduce %d; the stalls did not make backups win", res.Map.BackupWins, res.Reduce.BackupWins)
			}
			checkExact(t, f, res, 3)
		})
	}
}

func TestRangePartitionSorts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := storage.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := rand.New(rand.NewPCG(3, 4))
	var lines, sample []string
	for range 3000 {
		l := fmt.Sprintf("%04d-%d", r.IntN(10000), r.IntN(1000))
		lines = append(lines, l)
		if r.IntN(10) == 0 {
			sample = append(sample, l[:4])
		}
	}
	if err := b.WriteAll(ctx, "in.txt", []byte(strings.Join(lines, "\n")), nil); err != nil {
		t.Fatal(err)
	}
	chunks, err := overcast.Partition(ctx, b, []string{"in.txt"}, 4000)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sorter.Run(ctx, newExecutor(t, nil), chunks, Config[string]{
		Storage: "file://" + dir, Output: "file://" + dir + "/out/", Splitters: Splitters(sample, 5)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range res.Outputs {
		data, err := b.ReadAll(ctx, "out/"+k)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Fields(string(data))...)
	}
	if len(res.Outputs) != 5 || !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(a[:4], b[:4]) }) {
		t.Fatalf("%d outputs, sorted by key: %v", len(res.Outputs), slices.IsSorted(got))
	}
	slices.Sort(got)
	slices.Sort(lines)
	if !slices.Equal(got, lines) {
		t.Fatalf("%d records out, %d in", len(got), len(lines))
	}
}

func TestRunRefuses(t *testing.T) {
	f := newFixture(t, 1, 10, 100)
	ex := newExecutor(t, nil)
	ctx := context.Background()
	if err := f.bucket.WriteAll(ctx, "out/part-00000-old", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config[string]
		want string
	}{
		{Config[string]{Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out/"}, "already holds"},
		{Config[string]{}, "no storage"},
		{Config[string]{Storage: "file://" + f.dir, Reducers: -1}, "negative"},
		{Config[string]{Storage: "file://" + f.dir, Splitters: []string{"b", "a"}}, "not sorted"},
		{Config[string]{Storage: "file://" + f.dir, Splitters: []string{"a"}, Reducers: 3}, "2 reducers"},
		{Config[string]{Storage: "ftp://x"}, "unknown scheme"},
	} {
		_, err := combined.Run(ctx, ex, f.chunks, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
}

func TestNoChunks(t *testing.T) {
	dir := t.TempDir()
	res, err := combined.Run(context.Background(), newExecutor(t, nil), nil, Config[string]{Storage: "file://" + dir, Reducers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReduceCounters["keys"] != 0 || len(res.Outputs) != 0 {
		t.Fatalf("empty input: %+v", res)
	}
}

func TestCodecs(t *testing.T) {
	roundTrip(t, DefaultCodec[string](), "héllo\x00")
	roundTrip(t, DefaultCodec[int64](), -1<<40)
	roundTrip(t, DefaultCodec[int](), 7)
	roundTrip(t, DefaultCodec[uint64](), 1<<63)
	roundTrip(t, DefaultCodec[float64](), -2.5)
	roundTrip(t, DefaultCodec[[2]int](), [2]int{3, 4})
	if _, err := DefaultCodec[int64]().Decode([]byte{0x80}); err == nil {
		t.Error("a truncated varint decoded")
	}
}

func roundTrip[T comparable](t *testing.T, c Codec[T], v T) {
	t.Helper()
	got, err := c.Decode(c.Append(nil, v))
	if err != nil || got != v {
		t.Errorf("%T: %v -> %v, %v", c, v, got, err)
	}
}

// TestIntermediateKeysFlat checks that intermediate objects start with a
// hashed prefix right after the job's shuffle prefix, that each map task
// wrote one, and that a file bucket holds them all in one directory:
// making and removing a directory per object cost more than writing it.
func TestIntermediateKeysFlat(t *testing.T) {
	hashed := regexp.MustCompile(`^[0-9a-f]{4}-m[0-9]{6}-[^/]+$`)
	for _, key := range []string{mapObjectKey("j", 3, "a1-00ff"), mapObjectKey("j", 12, "a12-00ff")} {
		rest, ok := strings.CutPrefix(key, shufflePrefix("j"))
		if !ok || !hashed.MatchString(rest) {
			t.Errorf("intermediate key %q: want %s then a hashed prefix and no '/'", key, shufflePrefix("j"))
		}
	}
	f := newFixture(t, 3, 200, 1000)
	ex := newExecutor(t, nil)
	res, err := unordered.Run(context.Background(), ex, f.chunks, Config[string]{
		Storage: "file://" + f.dir, Reducers: 3, KeepIntermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.dir, filepath.FromSlash(shufflePrefix(res.JobID)))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(f.chunks) {
		t.Fatalf("%d entries in %s for %d map tasks, want one object per map task", len(entries), dir, len(f.chunks))
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !hashed.MatchString(e.Name()) {
			t.Fatalf("%s holds %s (%v), want only objects named after a hashed prefix", dir, e.Name(), e.Type())
		}
	}
}

// TestBorrower lends keys only for string keys of the default codec,
// when asked: the key then shares the bytes it was decoded from.
func TestBorrower(t *testing.T) {
	b := []byte("borrowed")
	if f := borrower(DefaultCodec[string](), true); f == nil || unsafe.StringData(f(b)) != &b[0] || f(b) != "borrowed" {
		t.Fatal("string keys are not borrowed")
	}
	if f := borrower(DefaultCodec[string](), true); f(b[:0]) != "" {
		t.Fatal("an empty key is not empty")
	}
	if borrower(DefaultCodec[string](), false) != nil {
		t.Fatal("keys borrowed without BorrowKeys")
	}
	type word string
	if borrower(DefaultCodec[int64](), true) != nil || borrower[string](jsonCodec[string]{}, true) != nil || borrower(DefaultCodec[word](), true) != nil {
		t.Fatal("keys of another codec borrowed")
	}
	if unordered.borrow == nil || combined.borrow != nil {
		t.Fatal("Define did not set borrow from BorrowKeys")
	}
}
