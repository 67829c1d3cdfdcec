package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

// A failure without an error prints as unknown in both outputs instead of
// panicking (`overcast run --json` did on one).
func TestOutputFailureWithoutError(t *testing.T) {
	now := time.Now()
	rep := &overcast.Report{Job: "j", Task: "t", Backend: "local", Tasks: 2, Start: now, End: now.Add(time.Second),
		Records: overcast.NewRecords(2), Failed: []*overcast.TaskFailure{
			{Index: 0, Attempts: 1, Code: backend.TaskFailed},
			{Index: 1, Attempts: 1, Code: backend.TaskFailed, Err: errors.New("worker crashed")}}}
	o := &outcome{Result: &Result{Report: rep}, workload: "pi", backend: "local", err: errors.New("2 tasks failed")}
	var b bytes.Buffer
	if err := printJSON(&b, o); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Failures []struct {
			Error string `json:"error"`
		} `json:"failures"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Failures) != 2 || got.Failures[0].Error != "unknown error" || got.Failures[1].Error != "worker crashed" {
		t.Fatalf("failures %+v", got.Failures)
	}
	if msg := noAnswer(o); !strings.Contains(msg, "2 of 2 tasks failed") {
		t.Fatalf("noAnswer = %q", msg)
	}
}
