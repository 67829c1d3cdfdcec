package shuffle

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// Test records are 16 bytes: a 5-byte key over a small alphabet, so that
// keys repeat, then the record's number in the input, which tells whether
// equal keys kept their input order.
const (
	testRecord = 16
	testKey    = 5
)

// recordsRead counts the records the test job's mappers saw.
var recordsRead atomic.Int64

var recordSorter = DefineRecords(RecordJob{Name: "shuffletest/records", RecordSize: testRecord, KeySize: testKey,
	Map: func(ctx context.Context, recs []byte) error {
		if r := worker.RequestFrom(ctx); r != nil {
			maybeStall(ctx, &stallMap, r.Index)
		}
		Count(ctx, "seen", int64(len(recs)/testRecord))
		recordsRead.Add(int64(len(recs) / testRecord))
		return nil
	},
	Reduce: func(ctx context.Context, sorted []byte, out io.Writer) error {
		if r := worker.RequestFrom(ctx); r != nil {
			maybeStall(ctx, &stallReduce, r.Index)
		}
		Count(ctx, "written", int64(len(sorted)/testRecord))
		_, err := out.Write(sorted)
		return err
	}})

// A job without Map and Reduce writes the sorted records as they are.
var plainSorter = DefineRecords(RecordJob{Name: "shuffletest/plainrecords", RecordSize: testRecord, KeySize: testKey})

// recordFixture is an input of test records in a file bucket.
type recordFixture struct {
	dir    string
	bucket *storage.Bucket
	chunks []overcast.Chunk
	recs   [][]byte
	sample []string
}

// newRecordFixture writes objects of the given record counts and cuts
// them into chunks of about chunk bytes.
func newRecordFixture(t *testing.T, chunk int64, counts ...int) *recordFixture {
	ctx := context.Background()
	f := &recordFixture{dir: t.TempDir()}
	b, err := storage.Open(ctx, "file://"+f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f.bucket = b
	r := rand.New(rand.NewPCG(5, uint64(len(counts))))
	var keys []string
	for o, n := range counts {
		var buf bytes.Buffer
		for range n {
			rec := make([]byte, testRecord)
			for i := range testKey {
				rec[i] = "\x00ab\xffz"[r.IntN(5)]
			}
			binary.BigEndian.PutUint64(rec[8:], uint64(len(f.recs)))
			f.recs = append(f.recs, rec)
			if r.IntN(20) == 0 {
				f.sample = append(f.sample, string(rec[:testKey]))
			}
			buf.Write(rec)
		}
		key := fmt.Sprintf("in/%02d", o)
		keys = append(keys, key)
		if err := b.Put(ctx, key, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if f.chunks, err = overcast.Partition(ctx, b, keys, chunk, overcast.FixedRecords(testRecord)); err != nil {
		t.Fatal(err)
	}
	return f
}

// run sorts the fixture into out/ with the given splitters (hash
// partitions without them).
func (f *recordFixture) run(t *testing.T, j *RecordJob, ex *overcast.Executor, reducers int, splitters []string) *Result {
	t.Helper()
	res, err := j.Run(context.Background(), ex, f.chunks, Config[string]{
		Storage: "file://" + f.dir, Output: "file://" + f.dir + "/out/", Reducers: reducers, Splitters: splitters})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// check reads the outputs the manifest names and checks that each holds
// its records sorted, equal keys in input order; with ranged, that the
// outputs in order are all the input sorted; and that together they hold
// exactly the input's records.
func (f *recordFixture) check(t *testing.T, res *Result, reducers int, ranged bool) {
	t.Helper()
	ctx := context.Background()
	manifest, err := f.bucket.Get(ctx, "out/"+ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(manifest)); !slices.Equal(got, res.Outputs) || len(got) != reducers {
		t.Fatalf("the manifest names %v, the run %v; want %d outputs", got, res.Outputs, reducers)
	}
	if left := listAll(t, f.bucket, "out/part-"); len(left) != reducers {
		t.Errorf("%d part objects left, want %d: %v", len(left), reducers, left)
	}
	var all [][]byte
	for _, key := range res.Outputs {
		data, err := f.bucket.Get(ctx, "out/"+key)
		if err != nil {
			t.Fatal(err)
		}
		var part [][]byte
		for off := 0; off < len(data); off += testRecord {
			part = append(part, data[off:off+testRecord])
		}
		if !slices.IsSortedFunc(part, byKeyThenNumber) {
			t.Fatalf("%s is not sorted by key, then input order", key)
		}
		all = append(all, part...)
	}
	if ranged && !slices.IsSortedFunc(all, byKeyThenNumber) {
		t.Fatal("the outputs in order are not sorted")
	}
	slices.SortFunc(all, byKeyThenNumber)
	want := slices.SortedFunc(slices.Values(f.recs), byKeyThenNumber)
	if !slices.EqualFunc(all, want, bytes.Equal) {
		t.Fatalf("the outputs hold %d records, not exactly the input's %d", len(all), len(want))
	}
}

func byKeyThenNumber(a, b []byte) int { return bytes.Compare(a, b) }

func TestRecordJobSorts(t *testing.T) {
	ex := newExecutor(t, nil)
	for _, c := range []struct {
		counts   []int
		chunk    int64
		reducers int
		ranged   bool
	}{
		{[]int{3000, 0, 1700}, 4000, 4, true},
		{[]int{3000, 1700}, 4000, 4, false},
		{[]int{5}, 1000, 7, true}, // more partitions than records
		{[]int{2000}, 1 << 20, 1, true},
	} {
		recordsRead.Store(0)
		f := newRecordFixture(t, c.chunk, c.counts...)
		var split []string
		if c.ranged && c.reducers > 1 {
			split = Splitters(f.sample, c.reducers)
			if len(split) == 0 {
				split = []string{"a"}
				c.reducers = 2
			}
		}
		res := f.run(t, recordSorter, ex, c.reducers, split)
		f.check(t, res, c.reducers, c.ranged)
		n := int64(len(f.recs))
		if res.MapCounters["seen"] != n || res.ReduceCounters["written"] != n || res.ReduceCounters["values"] != n || recordsRead.Load() != n {
			t.Errorf("%v: map counted %d, reduce %d (%d values), of %d", c, res.MapCounters["seen"], res.ReduceCounters["written"], res.ReduceCounters["values"], n)
		}
		if res.MapCounters["shuffle_bytes"] != n*testRecord || res.ReduceCounters["shuffle_bytes"] != n*testRecord || res.ReduceCounters["output_bytes"] != n*testRecord {
			t.Errorf("%v: counters %v and %v, want %d bytes through each", c, res.MapCounters, res.ReduceCounters, n*testRecord)
		}
		if left := listAll(t, f.bucket, "overcast/"); len(left) > 0 {
			t.Errorf("%v: intermediate objects left: %v", c, left)
		}
	}
}

func TestRecordJobWithoutCallbacks(t *testing.T) {
	f := newRecordFixture(t, 5000, 4000)
	res := f.run(t, plainSorter, newExecutor(t, nil), 3, Splitters(f.sample, 3))
	f.check(t, res, 3, true)
}

// TestRecordMapFailsAfterWriting fails the first attempt of a map task
// after it has written its object: the retry's object, not both, reaches
// the reducers, and the failed attempt's object is never read.
func TestRecordMapFailsAfterWriting(t *testing.T) {
	var failed atomic.Int32
	var failedKey string
	afterWrite = func(ctx context.Context, index int, key string) error {
		if index == 1 && firstAttempt(ctx) {
			failed.Add(1)
			failedKey = key
			return errors.New("crash after writing")
		}
		return nil
	}
	defer func() { afterWrite = nil }()
	reads := watchReads(t)
	f := newRecordFixture(t, 8000, 2000, 1000)
	ex := newExecutor(t, &overcast.Options{RetryTaskErrors: true, MaxAttempts: 3, BackoffBase: time.Millisecond})
	res := f.run(t, recordSorter, ex, 3, Splitters(f.sample, 3))
	if failed.Load() != 1 || res.Map.Retries < 1 {
		t.Fatalf("the first attempt failed %d times, %d retries", failed.Load(), res.Map.Retries)
	}
	if n := reads.of(failedKey); n != 0 {
		t.Errorf("reducers read the failed attempt's object %s %d times", failedKey, n)
	}
	f.check(t, res, 3, true)
}

// TestRecordReduceFailsAfterWriting fails every reducer's first attempt
// after it has written its first block: the retries' outputs hold each
// record once.
func TestRecordReduceFailsAfterWriting(t *testing.T) {
	var failed atomic.Int32
	afterReduceWrite = func(ctx context.Context, part int) error {
		if firstAttempt(ctx) {
			failed.Add(1)
			return errors.New("crash after a block")
		}
		return nil
	}
	defer func() { afterReduceWrite = nil }()
	// 2 reducers of about 1.5 blocks each.
	f := newRecordFixture(t, 1<<20, 3*reduceBlock/testRecord)
	ex := newExecutor(t, &overcast.Options{RetryTaskErrors: true, MaxAttempts: 3, BackoffBase: time.Millisecond})
	res := f.run(t, recordSorter, ex, 2, Splitters(f.sample, 2))
	if failed.Load() != 2 || res.Reduce.Retries != 2 {
		t.Fatalf("first attempts failed %d times, %d retries; want each reducer's once", failed.Load(), res.Reduce.Retries)
	}
	f.check(t, res, 2, true)
}

// TestRecordBackupsRace stalls the first attempt of a map task and of a
// reduce task until backup copies overtake them: both copies write, one
// is taken, and the records are exact.
func TestRecordBackupsRace(t *testing.T) {
	if testing.Short() {
		t.Skip("stalls for seconds")
	}
	stallMap.Store(2)
	stallReduce.Store(1)
	defer stallMap.Store(-1)
	defer stallReduce.Store(-1)
	f := newRecordFixture(t, 3000, 1000, 1000)
	ex := newExecutor(t, &overcast.Options{Speculation: overcast.Speculation{Min: 20 * time.Millisecond, After: 0.5}})
	res := f.run(t, recordSorter, ex, 3, Splitters(f.sample, 3))
	if res.Map.BackupWins < 1 || res.Reduce.BackupWins < 1 {
		t.Fatalf("backup wins: map %d, reduce %d; the stalls did not make backups win", res.Map.BackupWins, res.Reduce.BackupWins)
	}
	f.check(t, res, 3, true)
}

func TestRecordJobRefusesPartialRecords(t *testing.T) {
	f := newRecordFixture(t, 1000, 100)
	ctx := context.Background()
	if err := f.bucket.Put(ctx, "odd", make([]byte, 2*testRecord+3)); err != nil {
		t.Fatal(err)
	}
	odd := overcast.Chunk{Bucket: f.bucket.URL, Ranges: []overcast.Range{{Key: "odd", Length: 2*testRecord + 3}}}
	wrongSize := f.chunks[0]
	wrongSize.RecordSize = testRecord + 1
	for _, c := range []struct {
		chunk overcast.Chunk
		want  string
	}{
		{odd, "not whole 16-byte records"},
		{wrongSize, "a chunk of 17-byte records"},
	} {
		_, err := plainSorter.Run(ctx, newExecutor(t, nil), []overcast.Chunk{c.chunk}, Config[string]{Storage: "file://" + f.dir, Reducers: 2})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.chunk, err, c.want)
		}
	}
}

func TestDefineRecordsRefusesBadSizes(t *testing.T) {
	for _, j := range []RecordJob{{Name: "x", RecordSize: 10, KeySize: 11}, {Name: "x", RecordSize: 10}, {RecordSize: 10, KeySize: 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("DefineRecords(%+v) did not panic", j)
				}
			}()
			DefineRecords(j)
		}()
	}
}

// TestSortRecords compares sortRecords with a stable sort of the records
// by key, for keys shorter than 8 bytes, between 8 and 12, longer than 12,
// spread evenly, all equal, and in few clusters.
func TestSortRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n, size, keySize int
		gen              func(key []byte)
	}{
		{5000, 20, 3, func(k []byte) { fillRandom(r, k) }},
		{5000, 20, 10, func(k []byte) { fillRandom(r, k) }},
		{5000, 40, 20, func(k []byte) { fillRandom(r, k); k[3] = 0 }},
		{3000, 16, 16, func(k []byte) { copy(k, "all the same key") }},
		{4000, 30, 14, func(k []byte) { clear(k); k[0] = byte(r.IntN(3)); k[13] = byte(r.IntN(4)) }},
		{5000, 20, 10, func(k []byte) { // small buckets of tied keys
			binary.BigEndian.PutUint64(k, uint64(r.IntN(2000))<<40)
			k[8], k[9] = 0, byte(r.IntN(2))
		}},
		{40, 12, 10, func(k []byte) { fillRandom(r, k) }},
		{0, 12, 10, nil},
	} {
		recs := make([]byte, c.n*c.size)
		for i := range c.n {
			c.gen(recs[i*c.size : i*c.size+c.keySize])
			fillRandom(r, recs[i*c.size+c.keySize:(i+1)*c.size])
		}
		idx := make([]int, c.n)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			return bytes.Compare(recs[a*c.size:a*c.size+c.keySize], recs[b*c.size:b*c.size+c.keySize])
		})
		got := sortRecords(recs, c.size, c.keySize)
		if len(got) != c.n {
			t.Fatalf("%d records, %d entries", c.n, len(got))
		}
		for i, e := range got {
			if int(e.idx) != idx[i] {
				t.Fatalf("n %d key %d: entry %d is record %d, want %d", c.n, c.keySize, i, e.idx, idx[i])
			}
		}
	}
}

func fillRandom(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func TestKeyPartsMatchStringOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	split := []string{"", "\x00\x00", "a", "ab", "abcdefgh", "abcdefgh\x00", "abcdefghi", "b\xff", "b\xff\xff\xff\xff\xff\xff\xff\xff"}
	var raw [][]byte
	for _, s := range split {
		raw = append(raw, []byte(s))
	}
	for _, keySize := range []int{1, 2, 8, 9, 11} {
		kp := newKeyParts(keySize, len(split)+1, raw)
		for range 20000 {
			key := make([]byte, keySize)
			for i := range key {
				key[i] = "\x00abhi\xff"[r.IntN(6)]
			}
			want, _ := slices.BinarySearchFunc(split, string(key), func(s, k string) int {
				if s > k {
					return 1
				}
				return -1
			})
			if got := kp.part(key); got != want {
				t.Fatalf("key %q of %d bytes: partition %d, want %d", key, keySize, got, want)
			}
		}
	}
}
