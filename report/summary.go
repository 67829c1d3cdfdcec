// Package report turns job events and records into what people read: a
// progress bar while a job runs, summaries, timelines and cost estimates.
package report

import "github.com/overcast-sc/overcast"

// Stats summarizes a job's task records.
type Stats struct {
	Done, Failed, Cold int
}

// Summarize counts a report's records.
func Summarize(r *overcast.Report) Stats {
	t := r.Records.Tally()
	return Stats{Done: t.Done, Failed: t.Failed, Cold: t.Cold}
}
