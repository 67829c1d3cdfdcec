package report

import (
	"math"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

func TestMeasureUsageAndEstimate(t *testing.T) {
	r := &overcast.Report{Records: []overcast.TaskRecord{
		{State: overcast.Done, Attempts: 1, Billed: 1000 * time.Millisecond, MemoryMB: 1024},
		{State: overcast.Done, Attempts: 2, Billed: 500 * time.Millisecond, MemoryMB: 2048},
		{State: overcast.Done, Attempts: 1, Start: 0, End: 1_500_000_001}, // 1,501 ms at the default memory
		{State: overcast.Done, Resumed: true},
	}}
	u := MeasureUsage(r, 512)
	wantGBs := 1.0 + 1.0 + 1.501*0.5
	if u.Invocations != 4 || math.Abs(u.GBSeconds-wantGBs) > 1e-9 || u.Measured {
		t.Fatalf("usage = %+v, want 4 invocations, %v GB-s, not all measured", u, wantGBs)
	}
	cs := Estimate(u, map[string]Price{"a": {Name: "A", PerGBSecond: 1, PerMillion: 1e6}, "b": {Name: "B", PerGBSecond: 2}})
	if len(cs) != 2 || cs[0].Platform != "B" || math.Abs(cs[1].USD-(wantGBs+4)) > 1e-9 || math.Abs(cs[0].USD-2*wantGBs) > 1e-9 {
		t.Fatalf("estimate = %+v", cs)
	}
	if FormatCosts(cs) == "" {
		t.Fatal("empty format")
	}
}
