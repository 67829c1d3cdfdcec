package journal

import (
	"slices"
	"time"
)

// Stats are a job's numbers, computed from its tasks.
type Stats struct {
	Tasks, Done, Failed, Pending int
	// Retries counts attempts beyond each task's first, over every run
	// (retries, throttled attempts and backup copies).
	Retries    int
	ColdStarts int
	// Median, P95 and Max are over the durations of the tasks that
	// finished: the worker's own timing when known, else the invocation's.
	Median, P95, Max time.Duration
	Failures         []Failure
}

// Failure is a task that failed.
type Failure struct {
	Map         int      `json:"map"`
	Index       int      `json:"index"`
	Attempts    int      `json:"attempts"`
	Code        string   `json:"code"`
	Error       string   `json:"error"`
	Activations []string `json:"activations,omitempty"`
}

// Stats computes the job's numbers: from each Map's Summary when it has
// one, else from its tasks.
func (j *Job) Stats() *Stats {
	s := &Stats{}
	var durs []time.Duration
	var hist Histogram
	for _, m := range j.Maps {
		if m.Summary != nil && m.Tasks == nil {
			s.addSummary(m)
			hist.Merge(&m.Summary.Durations)
			continue
		}
		durs = s.addTasks(m, durs)
	}
	if len(durs) > 0 {
		for _, d := range durs {
			hist.Add(d)
		}
		if hist.N == int64(len(durs)) { // every Map's tasks were read: exact
			slices.Sort(durs)
			s.Median, s.P95, s.Max = quantile(durs, 0.5), quantile(durs, 0.95), durs[len(durs)-1]
			return s
		}
	}
	if hist.N > 0 {
		s.Median, s.P95, s.Max = hist.Quantile(0.5), hist.Quantile(0.95), hist.Max
	}
	return s
}

func (s *Stats) addSummary(m *Map) {
	sum := m.Summary
	s.Tasks += sum.Tasks
	s.Done += sum.Done
	s.Failed += sum.Failed
	s.Pending += sum.Tasks - sum.Done - sum.Failed
	s.Retries += sum.Retries
	s.ColdStarts += sum.ColdStarts
	for _, f := range m.Failures {
		f.Map = m.Seq
		s.Failures = append(s.Failures, f)
	}
}

func (s *Stats) addTasks(m *Map, durs []time.Duration) []time.Duration {
	for i := range m.Tasks {
		t := &m.Tasks[i]
		s.Tasks++
		s.Retries += max(0, t.Attempts-1)
		if t.Record != nil && t.Record.Cold {
			s.ColdStarts++
		}
		switch t.State {
		case TaskDone:
			s.Done++
			if d := taskDuration(t); d > 0 {
				durs = append(durs, d)
			}
		case TaskFailed:
			s.Failed++
			s.Failures = append(s.Failures, Failure{Map: m.Seq, Index: i, Attempts: failedAttempts(t),
				Code: t.Code, Error: t.Error, Activations: t.Activations})
		default:
			s.Pending++
		}
	}
	return durs
}

// failedAttempts is how many attempts the last run of a failed task made
// against its cap (throttled ones do not count); journals written before
// records kept that count give every invocation.
func failedAttempts(t *Task) int {
	if t.Record != nil && t.Record.Attempts > 0 {
		return int(t.Record.Attempts)
	}
	return t.Attempts
}

func taskDuration(t *Task) time.Duration {
	if t.Record == nil {
		return 0
	}
	return recordDuration(t.Record)
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	k := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}
