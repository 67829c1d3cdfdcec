package journal

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
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

// TestMapSummaryReadsOlderJournals decodes a MapSummary as journals of
// older versions recorded it (the usage's failed and losing parts named
// retry_ and backup_) and as this one does.
func TestMapSummaryReadsOlderJournals(t *testing.T) {
	want := MapSummary{Tasks: 3, Done: 2, Failed: 1, Retries: 4, Usage: report.Usage{Invocations: 12, GBSeconds: 3, Measured: true,
		MemoryMB: 256, FailedInvocations: 4, FailedGBSeconds: 1.5, LosingInvocations: 2, LosingGBSeconds: 0.5}}
	old := `{"tasks":3,"done":2,"failed":1,"retries":4,"cold_starts":0,"durations":{"n":0,"max":0},` +
		`"usage":{"invocations":12,"gb_seconds":3,"measured":true,"memory_mb":256,"retry_invocations":4,"retry_gb_seconds":1.5,` +
		`"backup_invocations":2,"backup_gb_seconds":0.5}}`
	now, err := json.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{old, string(now)} {
		var got MapSummary
		if err := json.Unmarshal([]byte(data), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", data, got, err, want)
		}
	}
	if strings.Contains(string(now), "retry_") || strings.Contains(string(now), "backup_") {
		t.Errorf("Marshal = %s; want failed_ and losing_ names", now)
	}
}
