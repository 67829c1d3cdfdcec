package report

import (
	"fmt"
	"sort"
	"strings"

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

// Usage is what a job consumed, as platforms bill it.
type Usage struct {
	// Invocations counts every attempt that reached the platform.
	Invocations int64 `json:"invocations"`
	// GBSeconds is the billed duration times memory, summed.
	GBSeconds float64 `json:"gb_seconds"`
	// Measured is true when the platform reported billed durations; false
	// when the estimate uses the worker's own timing.
	Measured bool `json:"measured"`
	// MemoryMB is the memory per invocation assumed when the platform did
	// not report it.
	MemoryMB int `json:"memory_mb"`
}

// MeasureUsage sums a job's billed use. Tasks without a billed duration
// count their worker-measured duration at memoryMB (rounded up to 1 ms, as
// Lambda bills).
func MeasureUsage(r *overcast.Report, memoryMB int) Usage {
	u := Usage{MemoryMB: memoryMB, Measured: true}
	for i := range r.Records {
		rec := &r.Records[i]
		u.Invocations += int64(rec.Attempts)
		if rec.Resumed || rec.Attempts == 0 {
			continue
		}
		billedMS := float64(rec.Billed.Milliseconds())
		mem := float64(rec.MemoryMB)
		if rec.Billed == 0 {
			u.Measured = false
			billedMS = float64((rec.End - rec.Start + 999_999) / 1_000_000)
		}
		if mem == 0 {
			mem = float64(memoryMB)
		}
		u.GBSeconds += billedMS / 1000 * mem / 1024
	}
	return u
}

// Cost is a usage priced on one platform.
type Cost struct {
	Platform string  `json:"platform"`
	USD      float64 `json:"usd"`
}

// Estimate prices u on every platform in prices, cheapest first.
func Estimate(u Usage, prices map[string]Price) []Cost {
	var cs []Cost
	for _, p := range prices {
		usd := u.GBSeconds*p.PerGBSecond + float64(u.Invocations)/1e6*p.PerMillion
		cs = append(cs, Cost{Platform: p.Name, USD: usd})
	}
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].USD != cs[b].USD {
			return cs[a].USD < cs[b].USD
		}
		return cs[a].Platform < cs[b].Platform
	})
	return cs
}

// FormatCosts renders costs on one line, e.g. "AWS Lambda arm64 $0.0021, ...".
func FormatCosts(cs []Cost) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %s", c.Platform, dollars(c.USD))
	}
	return strings.Join(parts, ", ")
}

func dollars(usd float64) string {
	if usd < 0.01 {
		return fmt.Sprintf("$%.6f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}
