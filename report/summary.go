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
	var s Stats
	for i := range r.Records.Len() {
		switch r.Records.State(i) {
		case overcast.Done:
			s.Done++
		case overcast.TaskFailedState:
			s.Failed++
		}
		if r.Records.Cold(i) {
			s.Cold++
		}
	}
	return s
}
