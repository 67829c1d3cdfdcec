package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/overcast-sc/overcast"
)

// Price is a platform's list price for function compute.
type Price struct {
	// Name names the platform and tier.
	Name string `json:"name"`
	// PerGBSecond is the price of one GB-second of billed duration.
	PerGBSecond float64 `json:"per_gb_second"`
	// PerMillion is the price of one million invocations.
	PerMillion float64 `json:"per_million_invocations"`
}

// Prices are the published on-demand list prices (USD) the estimates use
// by default; pass your own table for negotiated or regional prices.
var Prices = map[string]Price{
	"lambda-x86_64": {Name: "AWS Lambda x86_64", PerGBSecond: 0.0000166667, PerMillion: 0.20},
	"lambda-arm64":  {Name: "AWS Lambda arm64", PerGBSecond: 0.0000133334, PerMillion: 0.20},
	"ibm-functions": {Name: "IBM Cloud Functions (OpenWhisk)", PerGBSecond: 0.000017, PerMillion: 0},
}

// Usage is what a job consumed, as platforms bill it: every attempt that
// ran, including failed ones and losing backup copies; not the requests
// the platform refused (throttled, unavailable) before running them.
type Usage struct {
	// Invocations counts the billed attempts.
	Invocations int64 `json:"invocations"`
	// GBSeconds is the billed duration times memory, summed over them.
	GBSeconds float64 `json:"gb_seconds"`
	// Measured is true when the platform reported every billed duration;
	// false when some are the worker's or the driver's own timing.
	Measured bool `json:"measured"`
	// MemoryMB is the memory per invocation assumed when the platform did
	// not report it.
	MemoryMB int `json:"memory_mb"`
	// FailedInvocations and FailedGBSeconds are the part of the above spent
	// on attempts that failed after they ran (crashed, timed out, lost, or
	// failed with the task's own error), retried or not: a task that failed
	// for good adds its last attempt too, so this is not the retry count.
	FailedInvocations int64   `json:"failed_invocations"`
	FailedGBSeconds   float64 `json:"failed_gb_seconds"`
	// LosingInvocations and LosingGBSeconds are the part spent on copies
	// another copy of the same task beat (losing backups, or originals
	// that lost to their backup), billed until they ended, or until the
	// job ended when the driver stopped waiting for them.
	LosingInvocations int64   `json:"losing_invocations"`
	LosingGBSeconds   float64 `json:"losing_gb_seconds"`
}

// MeasureUsage sums a job's billed use. Each invocation's duration is
// rounded up to a whole millisecond (Lambda's rule) before it is
// multiplied by its memory. Durations the platform did not report are the
// worker's own timing (or, for attempts without a worker answer, the time
// the driver measured); memory it did not report is memoryMB. Tasks a
// resumed job took from its journal were billed in an earlier run.
func MeasureUsage(r *overcast.Report, memoryMB int) Usage {
	return TallyUsage(r.Records.Tally(), memoryMB)
}

// TallyUsage is MeasureUsage of the records t counts.
func TallyUsage(t overcast.Tally, memoryMB int) Usage {
	u := Usage{MemoryMB: memoryMB, Measured: t.Unreported == 0}
	for k, s := range t.Billed {
		mem := float64(memoryMB)
		if k.MemoryMB != 0 {
			mem = float64(k.MemoryMB)
		}
		gbs := float64(s.MS) / 1000 * mem / 1024
		u.Invocations += s.Invocations
		u.GBSeconds += gbs
		switch {
		case k.Output:
		case k.Kind == overcast.BillFailed:
			u.FailedInvocations += s.Invocations
			u.FailedGBSeconds += gbs
		case k.Kind == overcast.BillOutrun:
			u.LosingInvocations += s.Invocations
			u.LosingGBSeconds += gbs
		}
	}
	return u
}

// DefaultMemoryMB is the memory a task is priced at when its platform
// reported none.
const DefaultMemoryMB = 1024

// AddRecord adds one task's billed use, as MeasureUsage counts it: the
// attempt that produced its output (unless an earlier run did) and its
// other billed attempts (rec.Spent).
func (u *Usage) AddRecord(rec *overcast.TaskRecord, memoryMB int) {
	mem := recordMemory(rec, memoryMB)
	if rec.State == overcast.Done && !rec.Resumed {
		d, reported := rec.Billed, true
		if d == 0 {
			d, reported = time.Duration(rec.End-rec.Start), false
		}
		u.add(max(d, 0), reported, mem)
	}
	u.AddBills(rec.Spent, rec, memoryMB, 1)
}

// AddBills adds bs, billed attempts of the task rec describes, to u when
// sign is 1, or takes them out again when it is -1 (Measured is not
// restored by taking bills out).
func (u *Usage) AddBills(bs overcast.Bills, rec *overcast.TaskRecord, memoryMB int, sign int64) {
	mem := recordMemory(rec, memoryMB)
	for b := range bs.All() {
		gbs := float64(billedMS(b.Duration)) / 1000 * mem / 1024
		u.Invocations += sign
		u.GBSeconds += float64(sign) * gbs
		u.Measured = u.Measured && (b.Reported || sign < 0)
		switch b.Kind {
		case overcast.BillFailed:
			u.FailedInvocations += sign
			u.FailedGBSeconds += float64(sign) * gbs
		case overcast.BillOutrun:
			u.LosingInvocations += sign
			u.LosingGBSeconds += float64(sign) * gbs
		}
	}
}

func recordMemory(rec *overcast.TaskRecord, memoryMB int) float64 {
	if rec != nil && rec.MemoryMB != 0 {
		return float64(rec.MemoryMB)
	}
	return float64(memoryMB)
}

// add counts one billed invocation of d at mem MB and returns its GB-s.
func (u *Usage) add(d time.Duration, reported bool, mem float64) float64 {
	gbs := float64(billedMS(d)) / 1000 * mem / 1024
	u.Invocations++
	u.GBSeconds += gbs
	u.Measured = u.Measured && reported
	return gbs
}

// billedMS rounds d up to whole milliseconds.
func billedMS(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// Add adds v's use to u (for a job of several Maps).
func (u *Usage) Add(v Usage) {
	u.Invocations += v.Invocations
	u.GBSeconds += v.GBSeconds
	u.Measured = u.Measured && v.Measured
	u.FailedInvocations += v.FailedInvocations
	u.FailedGBSeconds += v.FailedGBSeconds
	u.LosingInvocations += v.LosingInvocations
	u.LosingGBSeconds += v.LosingGBSeconds
}

// Cost is a usage priced on one platform: USD in all, of which FailedUSD
// on failed attempts and LosingUSD on losing copies.
type Cost struct {
	Platform  string  `json:"platform"`
	USD       float64 `json:"usd"`
	FailedUSD float64 `json:"failed_usd"`
	LosingUSD float64 `json:"losing_usd"`
}

// Estimate prices u on every platform in prices, cheapest first.
func Estimate(u Usage, prices map[string]Price) []Cost {
	var cs []Cost
	for _, p := range prices {
		cs = append(cs, Cost{Platform: p.Name, USD: p.price(u.GBSeconds, u.Invocations),
			FailedUSD: p.price(u.FailedGBSeconds, u.FailedInvocations),
			LosingUSD: p.price(u.LosingGBSeconds, u.LosingInvocations)})
	}
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].USD != cs[b].USD {
			return cs[a].USD < cs[b].USD
		}
		return cs[a].Platform < cs[b].Platform
	})
	return cs
}

func (p Price) price(gbs float64, invocations int64) float64 {
	return gbs*p.PerGBSecond + float64(invocations)/1e6*p.PerMillion
}

// FormatCosts renders costs on one line, e.g. "AWS Lambda arm64 $0.0021, ...".
func FormatCosts(cs []Cost) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %s", c.Platform, dollars(c.USD))
	}
	return strings.Join(parts, ", ")
}

// FormatCostsOf renders the part of each cost that part picks, in the same
// order, e.g. "AWS Lambda arm64 $0.0001, ...".
func FormatCostsOf(cs []Cost, part func(Cost) float64) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %s", c.Platform, dollars(part(c)))
	}
	return strings.Join(parts, ", ")
}

func dollars(usd float64) string {
	if usd < 0.01 {
		return fmt.Sprintf("$%.6f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}
