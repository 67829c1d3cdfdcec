package transfer

import (
	"context"
	"testing"
)

// TestCheckCatchesEveryWrongByte flips one byte of each output, and of
// each hash, and checks that Check counts that task as bad.
func TestCheckCatchesEveryWrongByte(t *testing.T) {
	ins, err := Plan(1000, 500, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]Output, len(ins))
	for i, in := range ins {
		outs[i], _ = Move(context.Background(), in)
	}
	if r := Check(ins, outs); r.Bad != 0 || r.BytesIn != 3000 || r.BytesOut != 1500 {
		t.Fatalf("correct outputs: %+v", r)
	}
	outs[0].Data[499] ^= 1
	outs[1].InputSHA256[0] ^= 1
	if r := Check(ins, outs[:2]); r.Bad != 3 {
		t.Errorf("two corrupt outputs and a missing one: %d bad, want 3", r.Bad)
	}
}

func TestPlanRefusesBadSizes(t *testing.T) {
	for _, c := range [][3]int{{-1, 1, 1}, {1, -1, 1}, {1, 1, 0}, {maxTaskBytes + 1, 1, 1}} {
		if _, err := Plan(c[0], c[1], c[2], 1); err == nil {
			t.Errorf("Plan(%v) succeeded", c)
		}
	}
}
