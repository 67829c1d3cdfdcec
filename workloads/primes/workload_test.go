package primes

import (
	"context"
	"testing"
)

func TestPlanCoversRange(t *testing.T) {
	for _, tc := range []struct {
		to    uint64
		tasks int
	}{{10, 1}, {10, 11}, {1e10, 200}, {12345, 7}} {
		ins, err := Plan(tc.to, tc.tasks)
		if err != nil {
			t.Fatalf("Plan(%d, %d): %v", tc.to, tc.tasks, err)
		}
		var lo uint64
		for _, in := range ins {
			if in.Lo != lo || in.Hi <= in.Lo {
				t.Fatalf("Plan(%d, %d): range %+v after %d", tc.to, tc.tasks, in, lo)
			}
			lo = in.Hi
		}
		if lo != tc.to+1 || len(ins) != tc.tasks {
			t.Fatalf("Plan(%d, %d) ends at %d with %d tasks", tc.to, tc.tasks, lo, len(ins))
		}
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		to    uint64
		tasks int
	}{{0, 1}, {10, 0}, {10, -3}, {10, 12}, {MaxTo + 1, 10}} {
		if _, err := Plan(tc.to, tc.tasks); err == nil {
			t.Errorf("Plan(%d, %d) succeeded, want an error", tc.to, tc.tasks)
		}
	}
}

func TestCountTaskRejectsBadRange(t *testing.T) {
	if _, err := Count(context.Background(), Input{Lo: 10, Hi: 5}); err == nil {
		t.Fatal("Count accepted lo > hi")
	}
	got, err := Count(context.Background(), Input{Lo: 0, Hi: 1e6 + 1})
	if err != nil || got.Count != 78498 {
		t.Fatalf("Count(0, 1e6] = %v, %v; want 78498", got, err)
	}
}
