package sortbench

import (
	"bytes"
	"fmt"
	"testing"
)

func TestFirstRecordIsGensorts(t *testing.T) {
	buf := make([]byte, RecordSize)
	Records(buf, 0)
	// gensort's record 0 in binary mode: the key is the first ten bytes of
	// the generator's addend, "JimGrayRIP".
	want := append([]byte("JimGrayRIP\x00\x11"), bytes.Repeat([]byte("0"), 32)...)
	want = append(want, 0x88, 0x99, 0xaa, 0xbb)
	for _, d := range "202020202001" {
		want = append(want, byte(d), byte(d), byte(d), byte(d))
	}
	want = append(want, 0xcc, 0xdd, 0xee, 0xff)
	if !bytes.Equal(buf, want) {
		t.Fatalf("record 0 =\n%q\nwant\n%q", buf, want)
	}
}

func TestSkipAheadMatchesStepping(t *testing.T) {
	x := u128{}
	for n := uint64(0); n < 300; n++ {
		if got := skipAhead(n); got != x {
			t.Fatalf("skipAhead(%d) = %x, want %x", n, got, x)
		}
		x = next(x)
	}
}

func TestRecordsAnyRangeEqualsTheWhole(t *testing.T) {
	whole := make([]byte, 1000*RecordSize)
	Records(whole, 0)
	for _, c := range []struct{ from, to int }{{0, 1}, {1, 2}, {17, 400}, {999, 1000}} {
		part := make([]byte, (c.to-c.from)*RecordSize)
		Records(part, uint64(c.from))
		if !bytes.Equal(part, whole[c.from*RecordSize:c.to*RecordSize]) {
			t.Errorf("records %d..%d generated alone differ from the whole", c.from, c.to)
		}
	}
	num := string(whole[999*RecordSize+12 : 999*RecordSize+44])
	if want := fmt.Sprintf("%032X", 999); num != want {
		t.Errorf("record 999's number field = %q, want %q", num, want)
	}
}
