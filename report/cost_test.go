package report

import (
	"math"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

func bills(bs ...overcast.Bill) overcast.Bills {
	var out overcast.Bills
	for _, b := range bs {
		out = out.Append(b)
	}
	return out
}

func TestMeasureUsageAndEstimate(t *testing.T) {
	ms := time.Millisecond
	r := &overcast.Report{Records: overcast.RecordsOf([]overcast.TaskRecord{
		{State: overcast.Done, Attempts: 1, Billed: 1000 * ms, MemoryMB: 1024},
		// Crashed once (300 ms, reported), then won; its backup lost after
		// 1,234.2 ms measured (billed 1,235 ms); throttled 5 times (free).
		{State: overcast.Done, Attempts: 3, Throttled: 5, Billed: 500 * ms, MemoryMB: 2048, Spent: bills(
			overcast.Bill{Duration: 300 * ms, Kind: overcast.BillFailed, Reported: true},
			overcast.Bill{Duration: 1234*ms + 200*time.Microsecond, Kind: overcast.BillOutrun})},
		{State: overcast.Done, Attempts: 1, Start: 0, End: 1_500_000_001}, // 1,501 ms at the default memory
		{State: overcast.Done, Resumed: true},                             // billed by an earlier run
		// Failed for good after two billed crashes at the default memory.
		{State: overcast.TaskFailedState, Attempts: 2, Spent: bills(
			overcast.Bill{Duration: 100 * ms, Kind: overcast.BillFailed, Reported: true},
			overcast.Bill{Duration: 200 * ms, Kind: overcast.BillFailed, Reported: true})},
		// Running when the job was stopped: billed, neither retry nor backup.
		{Spent: bills(overcast.Bill{Duration: 50 * ms, Kind: overcast.BillStopped})},
	})}
	u := MeasureUsage(r, 512)
	// By hand, GB-s = seconds × MB / 1024:
	retry := 0.3*2 + 0.1*0.5 + 0.2*0.5 // 0.75
	backup := 1.235 * 2                // 2.47
	want := Usage{Invocations: 1 + 3 + 1 + 2 + 1, MemoryMB: 512,
		GBSeconds:         1.0 + 0.5*2 + retry + backup + 1.501*0.5 + 0.05*0.5,
		FailedInvocations: 3, FailedGBSeconds: retry, LosingInvocations: 1, LosingGBSeconds: backup}
	if !near(u, want) || u.Measured {
		t.Fatalf("usage = %+v\nwant    %+v, not all measured", u, want)
	}
	cs := Estimate(u, map[string]Price{"a": {Name: "A", PerGBSecond: 1, PerMillion: 1e6}, "b": {Name: "B", PerGBSecond: 2}})
	if len(cs) != 2 || cs[0].Platform != "B" || math.Abs(cs[1].USD-(want.GBSeconds+8)) > 1e-9 || math.Abs(cs[0].USD-2*want.GBSeconds) > 1e-9 {
		t.Fatalf("estimate = %+v", cs)
	}
	if math.Abs(cs[1].FailedUSD-(retry+3)) > 1e-9 || math.Abs(cs[1].LosingUSD-(backup+1)) > 1e-9 || math.Abs(cs[0].LosingUSD-2*backup) > 1e-9 {
		t.Fatalf("estimate parts = %+v", cs)
	}
	if FormatCosts(cs) == "" || FormatCostsOf(cs, func(c Cost) float64 { return c.FailedUSD }) == "" {
		t.Fatal("empty format")
	}
}

func near(a, b Usage) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Invocations == b.Invocations && a.FailedInvocations == b.FailedInvocations &&
		a.LosingInvocations == b.LosingInvocations && a.MemoryMB == b.MemoryMB &&
		eq(a.GBSeconds, b.GBSeconds) && eq(a.FailedGBSeconds, b.FailedGBSeconds) && eq(a.LosingGBSeconds, b.LosingGBSeconds)
}

func TestBillsRoundTrip(t *testing.T) {
	in := []overcast.Bill{{Duration: 0}, {Duration: 1500 * time.Microsecond, Kind: overcast.BillOutrun, Reported: true},
		{Duration: 900 * time.Second, Kind: overcast.BillStopped}}
	bs := bills(in...)
	if len(bs) > 1+2+3 {
		t.Fatalf("%d bytes for 3 bills", len(bs))
	}
	var out []overcast.Bill
	for b := range bs.All() {
		out = append(out, b)
	}
	in[1].Duration = 2 * time.Millisecond // rounded up
	if len(out) != 3 || out[0] != in[0] || out[1] != in[1] || out[2] != in[2] {
		t.Fatalf("bills %+v, want %+v", out, in)
	}
	if w := bs.Without(overcast.BillStopped); len(w) != 2 || w[1] != bs[1] {
		t.Fatalf("without stopped: %v", w)
	}
}
