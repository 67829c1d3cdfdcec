package sortbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/storage"
)

// sortedParts generates n records and returns them sorted, cut into parts.
func sortedParts(n, parts int) (input []byte, out [][]byte) {
	input = make([]byte, n*RecordSize)
	Records(input, 0)
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = input[i*RecordSize : (i+1)*RecordSize]
	}
	slices.SortFunc(recs, func(a, b []byte) int { return bytes.Compare(a[:KeySize], b[:KeySize]) })
	per := (n + parts - 1) / parts
	for p := range parts {
		var part []byte
		for _, r := range recs[min(p*per, n):min((p+1)*per, n)] {
			part = append(part, r...)
		}
		out = append(out, part)
	}
	return input, out
}

func writeSet(t *testing.T, name string, objs [][]byte) string {
	t.Helper()
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://"+name)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range objs {
		if err := b.WriteAll(ctx, fmt.Sprintf("%s/part-%05d", t.Name(), i), o, nil); err != nil {
			t.Fatal(err)
		}
	}
	return "mem://" + name + "/" + t.Name() + "/"
}

func validate(t *testing.T, input []byte, out [][]byte) error {
	t.Helper()
	ctx := context.Background()
	in, err := OpenDataSet(ctx, writeSet(t, "validate-in", [][]byte{input}))
	if err != nil {
		t.Fatal(err)
	}
	o, err := OpenDataSet(ctx, writeSet(t, "validate-out", out))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Validate(ctx, in, o)
	return err
}

func rec(part []byte, i int) []byte { return part[i*RecordSize : (i+1)*RecordSize] }

func TestValidateAcceptsASortedCopy(t *testing.T) {
	input, out := sortedParts(3000, 4)
	if err := validate(t, input, out); err != nil {
		t.Fatal(err)
	}
	// An empty partition is allowed.
	if err := validate(t, input, append(out[:2:2], append([][]byte{{}}, out[2:]...)...)); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	for _, c := range []struct {
		name, want string
		spoil      func(out [][]byte) [][]byte
	}{
		{"one record changed", "checksum", func(out [][]byte) [][]byte {
			rec(out[1], 5)[50] ^= 1 // outside the key: the order still holds
			return out
		}},
		{"one record missing", "records", func(out [][]byte) [][]byte {
			out[2] = append(out[2][:7*RecordSize:7*RecordSize], out[2][8*RecordSize:]...)
			return out
		}},
		{"one record duplicated", "records", func(out [][]byte) [][]byte {
			out[0] = slices.Concat(out[0][:10*RecordSize], rec(out[0], 9), out[0][10*RecordSize:])
			return out
		}},
		{"two records swapped", "sorts before", func(out [][]byte) [][]byte {
			a, b := bytes.Clone(rec(out[3], 20)), bytes.Clone(rec(out[3], 21))
			copy(rec(out[3], 20), b)
			copy(rec(out[3], 21), a)
			return out
		}},
		{"partitions out of order", "the last key", func(out [][]byte) [][]byte {
			out[1], out[2] = out[2], out[1]
			return out
		}},
		{"a record moved across partitions", "the last key", func(out [][]byte) [][]byte {
			out[2] = append(bytes.Clone(rec(out[1], 0)), out[2]...)
			out[1] = out[1][RecordSize:]
			return out
		}},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			input, out := sortedParts(3000, 4)
			err := validate(t, input, c.spoil(out))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrInvalid saying %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestOpenDataSetRejectsPartialRecords(t *testing.T) {
	_, err := OpenDataSet(context.Background(), writeSet(t, "validate-bad", [][]byte{make([]byte, 250)}))
	if err == nil || !strings.Contains(err.Error(), "not a multiple") {
		t.Fatalf("got %v, want a size error", err)
	}
	_, err = OpenDataSet(context.Background(), "mem://validate-bad/nothing-here/")
	if err == nil || !strings.Contains(err.Error(), "no objects") {
		t.Fatalf("got %v, want a no-objects error", err)
	}
}

func TestGenerateWritesTheRecords(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const n = genChunk*2 + 77 // more than one chunk, and a partial one
	if err := Generate(ctx, b, "in", n*RecordSize, 5); err != nil {
		t.Fatal(err)
	}
	got, err := b.ReadAll(ctx, "in")
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, n*RecordSize)
	Records(want, 5)
	if !bytes.Equal(got, want) {
		t.Fatal("generated object differs from Records")
	}
	if err := Generate(ctx, b, "bad", 150, 0); err == nil {
		t.Fatal("a size of 150 was accepted")
	}
}
