package overcast

import (
	"fmt"
	"strings"

	"github.com/overcast-sc/overcast/backend"
)

// TaskFailure describes one task that did not produce an output.
type TaskFailure struct {
	// Index is the task's position in the inputs.
	Index int
	// Attempts is how many times it was invoked, over all its copies, not
	// counting throttled refusals: at most Options.MaxAttempts.
	Attempts int
	// Code classifies the last error: TaskFailed for the task's own error.
	Code backend.ErrorCode
	// Err is the last error.
	Err error
}

func (f *TaskFailure) Error() string {
	return fmt.Sprintf("task %d (%d %s): %v", f.Index, f.Attempts, plural(f.Attempts, "attempt"), f.Err)
}

// Unwrap returns the last error.
func (f *TaskFailure) Unwrap() error { return f.Err }

// JobError reports a job that did not complete: the tasks that failed, and
// how many never finished because the job was canceled.
type JobError struct {
	Job   string
	Task  string
	Tasks int
	// Failed lists the failed tasks in index order.
	Failed []*TaskFailure
	// Unfinished counts tasks that neither succeeded nor failed.
	Unfinished int
	// Cause is the context error when the job was canceled.
	Cause error
}

const maxListed = 10

func (e *JobError) Error() string {
	var b strings.Builder
	if e.Cause != nil {
		fmt.Fprintf(&b, "job %s %v: %d of %d tasks unfinished", e.Job, e.Cause, e.Unfinished, e.Tasks)
		if len(e.Failed) > 0 {
			b.WriteString("; ")
		}
	}
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "%d of %d %s tasks failed: ", len(e.Failed), e.Tasks, e.Task)
		for i, f := range e.Failed {
			if i == maxListed {
				fmt.Fprintf(&b, "; and %d more", len(e.Failed)-maxListed)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.Error())
		}
	}
	return b.String()
}

// Unwrap returns the cancellation cause, if any.
func (e *JobError) Unwrap() error { return e.Cause }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
