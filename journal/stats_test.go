package journal

import (
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

func TestStats(t *testing.T) {
	done := func(start, end, invoked, returned int64, cold bool) Task {
		return Task{State: TaskDone, Attempts: 1, Record: &overcast.TaskRecord{Start: start, End: end, Invoked: invoked, Returned: returned, Cold: cold}}
	}
	j := &Job{Maps: []*Map{{Seq: 0, Tasks: []Task{
		done(0, 10, 0, 0, true),
		done(0, 0, 5, 25, false), // no worker timing: the invocation's
		done(100, 130, 0, 0, false),
		{State: TaskFailed, Attempts: 3, Code: "task failed", Error: "boom", Activations: []string{"a"}},
		{State: TaskRunning, Attempts: 2},
		{},
	}}}}
	s := j.Stats()
	want := Stats{Tasks: 6, Done: 3, Failed: 1, Pending: 2, Retries: 3, ColdStarts: 1, Median: 20, P95: 30, Max: 30}
	if s.Tasks != want.Tasks || s.Done != want.Done || s.Failed != want.Failed || s.Pending != want.Pending ||
		s.Retries != want.Retries || s.ColdStarts != want.ColdStarts || s.Median != want.Median || s.P95 != want.P95 || s.Max != want.Max {
		t.Errorf("got %+v, want %+v", s, want)
	}
	if len(s.Failures) != 1 || s.Failures[0].Index != 3 || s.Failures[0].Error != "boom" || s.Failures[0].Attempts != 3 {
		t.Errorf("failures %+v", s.Failures)
	}
}

func TestQuantile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0, 1}, {0.5, 5}, {0.95, 10}, {0.9, 9}, {1, 10}}
	for _, tt := range tests {
		if got := quantile(d, tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
