package overcast

import "time"

// Journal keeps a durable record of jobs so that a job whose driver died
// can be resumed: tasks a journal reports as completed are not run again.
// Package journal implements it on disk.
type Journal interface {
	// Job opens the record of one Map of a job: seq numbers the Maps of
	// one job id (0 for the first), n is its task count.
	Job(id string, seq int, task string, n int) (JobLog, error)
}

// JobLog is the record of one Map. Its methods are called from many
// goroutines. A JobLog that fails to write should keep its first error and
// return it from Close; the job goes on.
type JobLog interface {
	// Completed returns the encoded output of task i when an earlier run
	// finished it.
	Completed(i int) (out []byte, ok bool)
	// Attempted records that attempt number attempt of task i returned,
	// with the platform's id for it (may be empty) and the platform's error
	// (nil when the platform answered; the task's own error comes later,
	// through Failed). It is called before the attempt's outcome is taken.
	Attempted(i, attempt int, backendID string, err error)
	// Finished records task i's output; it is called once per task.
	Finished(i int, rec *TaskRecord, out []byte)
	// Failed records task i's final failure.
	Failed(i int, rec *TaskRecord, f *TaskFailure)
	// Close records the end of the Map.
	Close(r *Report) error
}

// DispatchLog is an optional interface of a JobLog that keeps the ids of
// attempts a platform accepted, so that a resumed job can collect results
// that finished while its driver was away instead of invoking again.
type DispatchLog interface {
	// Dispatched records that attempt number attempt of task i was accepted
	// by the platform under id.
	Dispatched(i, attempt int, id string)
	// Pending returns the ids of task i's accepted attempts of earlier runs,
	// newest first, when task i is not finished.
	Pending(i int) []string
}

// ResumeLog is an optional interface of a JobLog that hands over the
// outputs of tasks earlier runs finished in one pass, without holding
// them all, instead of one Completed call per task.
type ResumeLog interface {
	// EachCompleted calls fn once with each task an earlier run finished
	// and its encoded output, which fn must not keep.
	EachCompleted(fn func(i int, out []byte)) error
}

// SpentLog is an optional interface of a JobLog that keeps the bills of
// attempts that ended after their task was resolved (losing copies).
type SpentLog interface {
	// Spent replaces task i's billed attempts (TaskRecord.Spent) in this
	// run with bs, a superset of those its Finished or Failed record held.
	Spent(i int, bs Bills)
}

// WindowLog is an optional interface of a JobLog that keeps the backend's
// window of invocations in flight over time, so that a finished job can
// be drawn as it ran: the window when the Map started, and every change
// of it while it ran.
type WindowLog interface {
	// Window records that from at on, window invocations could be in
	// flight, and the window could grow to max.
	Window(at time.Time, window, max int)
}
