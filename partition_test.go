package overcast_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/storage"
)

// splitRecords is the reference: the records of one object's bytes.
func splitRecords(data []byte, sep byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	recs := bytes.Split(data, []byte{sep})
	if data[len(data)-1] == sep {
		recs = recs[:len(recs)-1]
	}
	return recs
}

// readAll reads every chunk's records, in order, checking that chunks
// cover whole records only.
func readAll(t testing.TB, ctx context.Context, chunks []overcast.Chunk) [][]byte {
	var got [][]byte
	for _, c := range chunks {
		for rec, err := range c.Records(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, bytes.Clone(rec))
		}
	}
	return got
}

func putObjects(t testing.TB, ctx context.Context, b *storage.Bucket, objs [][]byte) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = fmt.Sprintf("in/obj-%03d", i)
		if err := b.WriteAll(ctx, keys[i], o, nil); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// randomObjects draws a few objects whose records are mostly short, with
// now and then one of up to 1 MiB, some objects empty and some without a
// trailing separator.
func randomObjects(r *rand.Rand, sep byte) [][]byte {
	objs := make([][]byte, 1+r.IntN(5))
	for i := range objs {
		if r.IntN(5) == 0 {
			continue // empty object
		}
		var buf []byte
		for range r.IntN(40) {
			n := r.IntN(30)
			if r.IntN(60) == 0 {
				n = r.IntN(1 << 20)
			}
			for range n {
				c := byte('a' + r.IntN(27))
				if c == sep {
					c = 'z'
				}
				buf = append(buf, c)
			}
			buf = append(buf, sep)
		}
		if len(buf) > 0 && r.IntN(2) == 0 {
			buf = buf[:len(buf)-1] // no trailing separator
		}
		objs[i] = buf
	}
	return objs
}

func TestPartitionProperty(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 60
	}
	checkProperty(t, cases, func(i int) string { return fmt.Sprintf("mem://partition-property-%d", i) })
}

// TestPartitionPropertyS3 runs the property on a real S3 server, whose
// ranged reads are HTTP range requests.
func TestPartitionPropertyS3(t *testing.T) {
	srv := s3test.Start(t)
	for _, kv := range s3test.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	u := srv.Bucket(t)
	checkProperty(t, 12, func(int) string { return u })
}

// checkProperty checks, on cases random inputs each in the bucket
// bucketURL(case) names, that the chunks' records are the input's.
func checkProperty(t *testing.T, cases int, bucketURL func(int) string) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range cases {
		sep := byte('\n')
		if i%7 == 3 {
			sep = ';'
		}
		objs := randomObjects(r, sep)
		var total int
		for _, o := range objs {
			total += len(o)
		}
		chunk := []int64{1, 2, 3, int64(1 + r.IntN(100)), int64(1 + r.IntN(1<<16)), int64(1 + total)}[i%6]
		b, err := storage.Open(ctx, bucketURL(i))
		if err != nil {
			t.Fatal(err)
		}
		keys := putObjects(t, ctx, b, objs)
		if i%2 == 1 {
			keys = []string{"in/"}
		}
		chunks, err := overcast.Partition(ctx, b, keys, chunk, overcast.Separator(sep))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var want [][]byte
		for _, o := range objs {
			want = append(want, splitRecords(o, sep)...)
		}
		got := readAll(t, ctx, chunks)
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("case %d (chunk %d, %d objects, %d bytes): got %d records, want %d", i, chunk, len(objs), total, len(got), len(want))
		}
		checkChunks(t, chunks, chunk, int64(total))
		for j := range objs {
			b.Delete(ctx, fmt.Sprintf("in/obj-%03d", j))
		}
		b.Close()
	}
}

// TestPartitionParallelCuts cuts objects into chunks of a MiB or more,
// whose cut points Partition looks for at once, with records of up to 5
// MiB among short ones and objects without a trailing newline: the
// chunks' records are the objects', and the cut points' reads add up to
// no more than the objects' bytes, however many cut points fall inside
// one long record.
func TestPartitionParallelCuts(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	for i, chunk := range []int64{1 << 20, 1<<20 + 7, 3 << 20, 1 << 20, 2<<20 - 1} {
		b, err := storage.Open(ctx, fmt.Sprintf("mem://partition-parallel-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		objs := make([][]byte, 1+r.IntN(3))
		var total int
		for j := range objs {
			var buf []byte
			for len(buf) < 8<<20 {
				n := r.IntN(200)
				if r.IntN(50) == 0 {
					n = r.IntN(5 << 20)
				}
				buf = append(buf, bytes.Repeat([]byte{byte('a' + r.IntN(26))}, n)...)
				buf = append(buf, '\n')
			}
			if j%2 == 1 {
				buf = buf[:len(buf)-1]
			}
			objs[j] = buf
			total += len(buf)
		}
		keys := putObjects(t, ctx, b, objs)
		pctx, count := storage.WithIOCount(ctx)
		chunks, err := overcast.Partition(pctx, b, keys, chunk)
		if err != nil {
			t.Fatal(err)
		}
		if count.Read() > int64(total) {
			t.Errorf("chunk %d: finding the cut points read %d bytes of %d", chunk, count.Read(), total)
		}
		var want [][]byte
		for _, o := range objs {
			want = append(want, splitRecords(o, '\n')...)
		}
		if got := readAll(t, ctx, chunks); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("chunk %d: got %d records, want %d", chunk, len(got), len(want))
		}
		checkChunks(t, chunks, chunk, int64(total))
		b.Close()
	}
}

// checkChunks checks that chunks cover every byte once, and that a chunk
// of several ranges is no bigger than the chunk size.
func checkChunks(t testing.TB, chunks []overcast.Chunk, chunkSize, total int64) {
	var sum int64
	for _, c := range chunks {
		sum += c.Bytes()
		if len(c.Ranges) > 1 && c.Bytes() > chunkSize {
			t.Fatalf("chunk of %d ranges holds %d bytes, more than %d", len(c.Ranges), c.Bytes(), chunkSize)
		}
		for _, rg := range c.Ranges {
			if rg.Length <= 0 {
				t.Fatalf("empty range %+v", rg)
			}
		}
	}
	if sum != total {
		t.Fatalf("chunks cover %d bytes, input has %d", sum, total)
	}
}

func TestPartitionFixedRecords(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs := [][]byte{bytes.Repeat([]byte("0123456789"), 100), nil, []byte("abcdefghijklm")}
	keys := putObjects(t, ctx, b, objs)
	for _, chunk := range []int64{1, 7, 10, 99, 1000, 5000} {
		chunks, err := overcast.Partition(ctx, b, keys, chunk, overcast.FixedRecords(10))
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, ctx, chunks)
		if len(got) != 102 || string(got[0]) != "0123456789" || string(got[100]) != "abcdefghij" || string(got[101]) != "klm" {
			t.Fatalf("chunk %d: %d records, last %q", chunk, len(got), got[len(got)-1])
		}
		for _, c := range chunks {
			for _, rg := range c.Ranges {
				if rg.Offset%10 != 0 {
					t.Fatalf("chunk %d: range %+v starts inside a record", chunk, rg)
				}
			}
		}
	}
}

// TestPartitionPacksSmallObjects checks that many small objects travel
// together, and that a prefix lists them in key order.
func TestPartitionPacksSmallObjects(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs := make([][]byte, 100)
	for i := range objs {
		objs[i] = []byte(fmt.Sprintf("record %d\n", i))
	}
	putObjects(t, ctx, b, objs)
	if err := b.WriteAll(ctx, "overcast/job-1/shuffle/x", []byte("job data\n"), nil); err != nil {
		t.Fatal(err)
	}
	if chunks, err := overcast.Partition(ctx, b, []string{""}, 1000); err != nil || len(readAll(t, ctx, chunks)) != 100 {
		t.Fatalf("the bucket's records: %v (job data must not count)", err)
	}
	chunks, err := overcast.Partition(ctx, b, []string{"in/"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 10 || len(chunks) > 12 {
		t.Fatalf("100 objects of ~10 bytes in chunks of 100: %d chunks", len(chunks))
	}
	got := readAll(t, ctx, chunks)
	if len(got) != 100 || string(got[42]) != "record 42" {
		t.Fatalf("got %d records", len(got))
	}
}

func TestPartitionBadInput(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	putObjects(t, ctx, b, [][]byte{[]byte("x\n")})
	for _, tc := range []struct {
		keys  []string
		chunk int64
		want  string
	}{
		{[]string{"in/obj-000"}, 0, "chunk size"},
		{nil, 10, "no keys"},
		{[]string{"missing"}, 10, "missing"},
		{[]string{"nothing/"}, 10, "no objects under prefix"},
	} {
		_, err := overcast.Partition(ctx, b, tc.keys, tc.chunk)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Partition(%q, %d): %v, want an error with %q", tc.keys, tc.chunk, err, tc.want)
		}
	}
}

// FuzzPartition cuts fuzzed bytes into objects and chunks and checks that
// the chunks' records are the objects' records.
func FuzzPartition(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), uint16(1), uint8(3))
	f.Add([]byte("\n\n\n"), uint16(2), uint8(0))
	f.Add([]byte("no newline at all"), uint16(5), uint8(200))
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://partition-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, cut uint8) {
		objs := [][]byte{data}
		if c := int(cut); c < len(data) {
			objs = [][]byte{data[:c], data[c:]}
		}
		keys := putObjects(t, ctx, b, objs)
		defer func() {
			for _, k := range keys {
				b.Delete(ctx, k)
			}
		}()
		chunks, err := overcast.Partition(ctx, b, keys, int64(chunk)+1)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for _, o := range objs {
			want = append(want, splitRecords(o, '\n')...)
		}
		if got := readAll(t, ctx, chunks); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("got %q, want %q", got, want)
		}
		checkChunks(t, chunks, int64(chunk)+1, int64(len(data)))
	})
}
