package overcast

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
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

// maxListed is how many failures Error lists one by one; more are
// summarized by kind.
const maxListed = 3

// Error says what stopped the job and which tasks failed: each one when
// there are at most three (connection failures and URLs shortened), else
// grouped by kind with counts, a short form of each kind's error and the
// first task indexes (every failure in full is in Failed).
func (e *JobError) Error() string {
	var b strings.Builder
	if e.Cause != nil {
		var oe *OutageError
		if errors.As(e.Cause, &oe) {
			fmt.Fprintf(&b, "job %s stopped: %v: %d of %d tasks unfinished", e.Job, oe, e.Unfinished, e.Tasks)
		} else {
			fmt.Fprintf(&b, "job %s %v: %d of %d tasks unfinished", e.Job, e.Cause, e.Unfinished, e.Tasks)
		}
		if len(e.Failed) > 0 {
			b.WriteString("; ")
		}
	}
	if len(e.Failed) > 0 {
		fmt.Fprintf(&b, "%d of %d %s tasks failed: ", len(e.Failed), e.Tasks, e.Task)
		if len(e.Failed) <= maxListed {
			for i, f := range e.Failed {
				if i > 0 {
					b.WriteString("; ")
				}
				fmt.Fprintf(&b, "task %d (%d %s): %s", f.Index, f.Attempts, plural(f.Attempts, "attempt"), gist(f.Err, 0))
			}
		} else {
			b.WriteString(summarize(e.Failed))
		}
	}
	return b.String()
}

// failureKind is the failures of one error code.
type failureKind struct {
	code    backend.ErrorCode
	tasks   []int
	gist    string // the first failure's
	example int    // its task
	mixed   bool   // some failures of the kind differ from gist
}

// maxKinds bounds the kinds summarize names.
const maxKinds = 4

// summarize groups failures by error code, the most frequent first.
func summarize(failed []*TaskFailure) string {
	var kinds []*failureKind
	byCode := map[backend.ErrorCode]*failureKind{}
	for _, f := range failed {
		g := Gist(f.Err)
		k := byCode[f.Code]
		if k == nil {
			k = &failureKind{code: f.Code, gist: g, example: f.Index}
			byCode[f.Code] = k
			kinds = append(kinds, k)
		}
		k.tasks = append(k.tasks, f.Index)
		k.mixed = k.mixed || g != k.gist
	}
	sort.SliceStable(kinds, func(a, b int) bool { return len(kinds[a].tasks) > len(kinds[b].tasks) })
	parts := make([]string, 0, maxKinds+1)
	rest := 0
	for i, k := range kinds {
		if i == maxKinds {
			rest += len(k.tasks)
			continue
		}
		parts = append(parts, k.String())
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d with other errors", rest))
	}
	return strings.Join(parts, "; ")
}

func (k *failureKind) String() string {
	ids := make([]string, 0, 3)
	for _, i := range k.tasks[:min(3, len(k.tasks))] {
		ids = append(ids, strconv.Itoa(i))
	}
	list := plural(len(k.tasks), "task") + " " + strings.Join(ids, ", ")
	if more := len(k.tasks) - len(ids); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	if k.mixed {
		return fmt.Sprintf("%d %s (e.g. task %d: %s; %s)", len(k.tasks), kindLabel(k.code), k.example, k.gist, list)
	}
	return fmt.Sprintf("%d %s (%s; %s)", len(k.tasks), kindLabel(k.code), k.gist, list)
}

// kindLabel names the failures of a code in a summary.
func kindLabel(c backend.ErrorCode) string {
	switch c {
	case backend.TaskFailed:
		return "failed in the task"
	case backend.Unreachable:
		return "platform unreachable"
	case backend.Unavailable:
		return "platform unavailable"
	case backend.DeadlineExceeded:
		return "timed out"
	case backend.Unknown:
		return "unclassified errors"
	}
	return c.String()
}

// Unwrap returns the cancellation cause, if any.
func (e *JobError) Unwrap() error { return e.Cause }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
