// Package dashboard draws what a job did, or is doing, as a web page:
// the task stream, tasks in flight, throughput, retries and errors by
// kind, cold and warm starts, cost and ETA, all as server-drawn SVG. The
// same views are served live over HTTP (Server, with server-sent events
// fed by a Hub while the job runs) and written as one self-contained HTML
// file (WriteReport).
package dashboard

import (
	"sort"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
)

// Job is what the dashboard shows of one job.
type Job struct {
	ID, Workload, Backend string
	// State is a journal.State: running, done, failed, interrupted, stopped.
	State               string
	Tasks, Done, Failed int
	Started             time.Time
	// Maps are the records of the job's Maps, as the scheduler keeps
	// them; empty for a job another process runs (only its counts are
	// known until it ends).
	Maps []*overcast.Report
	// InFlight are the attempts running now (live jobs only).
	InFlight []Attempt
	// Errors counts failed attempts by kind of error (retried or final).
	Errors map[string]int
	// Flow samples the backend's flow control over time (live jobs only).
	Flow []FlowSample
	// Now is the time the views are drawn at: the job's end, or now.
	Now time.Time
	// Note says what the views leave out, if anything.
	Note string
}

// Attempt is a running attempt of a task.
type Attempt struct {
	Index int
	Since time.Time
}

// FlowSample is the state of the flow control at one time: tasks in
// flight, the adaptive window, and the most it may grow to (the platform's
// limit or the backend's capacity).
type FlowSample struct {
	Time                        time.Time
	InFlight, Window, MaxWindow int
}

// FromJournal turns a job read from the journal into a Job. A job read
// with its tasks (Store.Read) gets every view; one read by ReadSummary or
// held by a live driver gets its counts only.
func FromJournal(j *journal.Job) *Job {
	d := &Job{ID: j.ID, Workload: j.Workload, Backend: j.Backend, State: string(j.State),
		Tasks: j.Tasks, Done: j.DoneTasks, Failed: j.FailedTasks, Started: j.Started, Now: j.Updated,
		Errors: map[string]int{}}
	if j.Live {
		d.Note = "another overcast process runs this job: its task views appear when it ends"
		d.Now = time.Now()
	}
	for _, m := range j.Maps {
		if m.Tasks == nil {
			continue
		}
		r := j.Report(m)
		d.Maps = append(d.Maps, r)
		for _, w := range m.Window {
			d.Flow = append(d.Flow, FlowSample{Time: w.Time, Window: w.Window, MaxWindow: w.MaxWindow})
		}
		for _, t := range m.Tasks {
			if t.State == journal.TaskFailed {
				d.Errors[kindOf(t.Code)]++
			}
		}
		if m.Report != nil {
			addCount(d.Errors, "retried", int(m.Report.Retries))
			addCount(d.Errors, "throttled", int(m.Report.Throttles))
		}
		if !r.End.IsZero() && r.End.After(d.Now) {
			d.Now = r.End
		}
	}
	sort.SliceStable(d.Flow, func(a, b int) bool { return d.Flow[a].Time.Before(d.Flow[b].Time) })
	return d
}

func kindOf(code string) string {
	if code == "" {
		return "error"
	}
	return code
}

func addCount(m map[string]int, k string, n int) {
	if n > 0 {
		m[k] += n
	}
}

// Live reports whether the job is still running.
func (d *Job) Live() bool { return d.State == string(journal.Running) }

// origin is the time the views start at: the first invocation, or the
// job's start.
func (d *Job) origin() time.Time {
	var first int64
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			if inv := r.Records.At(i).Invoked; inv != 0 && (first == 0 || inv < first) {
				first = inv
			}
		}
	}
	for _, a := range d.InFlight {
		if first == 0 || a.Since.UnixNano() < first {
			first = a.Since.UnixNano()
		}
	}
	if first == 0 {
		return d.Started
	}
	return time.Unix(0, first)
}

// end is the time the views end at: now for a live job, else the last
// answer.
func (d *Job) end() time.Time {
	var end time.Time
	if d.Live() || len(d.Maps) == 0 {
		end = d.Now
	}
	for _, r := range d.Maps {
		for i := range r.Records.Len() {
			if ret := r.Records.At(i).Returned; ret > end.UnixNano() {
				end = time.Unix(0, ret)
			}
		}
	}
	return end
}

// sortedKinds returns the keys of m, most frequent first.
func sortedKinds(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(a, b int) bool {
		if m[ks[a]] != m[ks[b]] {
			return m[ks[a]] > m[ks[b]]
		}
		return ks[a] < ks[b]
	})
	return ks
}
