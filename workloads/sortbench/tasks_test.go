package sortbench

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// records returns n random records whose keys come from few distinct
// values, so that many tie and only the rest of the record orders them.
func tiedRecords(n int, r *rand.Rand) []byte {
	buf := make([]byte, n*RecordSize)
	for i := range buf {
		buf[i] = byte(r.IntN(256))
	}
	for i := range n {
		copy(buf[i*RecordSize:], []byte{byte(r.IntN(3)), 7, byte(r.IntN(2)), 0, 0, 0, 0, 0, byte(r.IntN(2)), 9})
	}
	return buf
}

func split(buf []byte) [][]byte {
	var rs [][]byte
	for off := 0; off < len(buf); off += RecordSize {
		rs = append(rs, buf[off:off+RecordSize])
	}
	return rs
}

func TestSortRecordsOrdersWholeRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 1000} {
		buf := tiedRecords(n, r)
		want := split(bytes.Clone(buf))
		slices.SortFunc(want, bytes.Compare)
		if got := split(sortRecords(buf)); !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("%d records: sortRecords differs from sorting whole records", n)
		}
	}
}

func TestGroupKeepsRecordsInTheirPartitions(t *testing.T) {
	buf := make([]byte, 5000*RecordSize)
	Records(buf, 0)
	splitters := [][]byte{[]byte("\x40000000000"), []byte("\x40000000000"), []byte("\xc0000000000")}
	out, offsets := group(buf, splitters)
	if len(offsets) != len(splitters)+2 || offsets[0] != 0 || offsets[len(offsets)-1] != int64(len(buf)) {
		t.Fatalf("offsets %v", offsets)
	}
	if offsets[2] != offsets[1] {
		t.Errorf("partition 1, between two equal splitters, holds %d bytes", offsets[2]-offsets[1])
	}
	for p := range len(offsets) - 1 {
		for _, rec := range split(out[offsets[p]:offsets[p+1]]) {
			if got := partitionOf(splitters, rec[:KeySize]); got != p {
				t.Fatalf("record with key %x in partition %d, belongs in %d", rec[:KeySize], p, got)
			}
		}
	}
	want, got := split(bytes.Clone(buf)), split(bytes.Clone(out))
	slices.SortFunc(want, bytes.Compare)
	slices.SortFunc(got, bytes.Compare)
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatal("group lost or changed records")
	}
}
