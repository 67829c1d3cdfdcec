package overcast

import "time"

// TaskState is where a task stands.
type TaskState uint8

// The task states.
const (
	Pending TaskState = iota
	Running
	Done
	TaskFailedState
)

// TaskRecord is the timeline of one task. Times are Unix nanoseconds (zero
// when unknown) so that a million records stay small.
type TaskRecord struct {
	State TaskState
	Cold  bool
	// Backup is true when a speculative backup copy produced the output;
	// Resumed when an earlier run of the job did; Collected when a resumed
	// run fetched the output of an attempt an earlier run had dispatched.
	Backup, Resumed, Collected bool
	// Attempts counts the task's attempts over all its copies that count
	// against Options.MaxAttempts, so never more than it: every invocation
	// but those refused as throttled. While an attempt runs it is that
	// attempt's number.
	Attempts int32
	// Throttled counts attempts refused with ResourceExhausted.
	Throttled int32
	// Invoked is when the last attempt was handed to the backend, Dispatched
	// when the platform accepted it (asynchronous platforms only), Returned
	// when its answer arrived.
	Invoked, Dispatched, Returned int64
	// Start and End are the worker's own timing of the successful attempt.
	Start, End int64
	// Wait and Init are the platform's queueing and cold-start times.
	Wait, Init time.Duration
	// Billed and MemoryMB are what the platform bills.
	Billed   time.Duration
	MemoryMB int32
	// BackendID is the platform's id for the last attempt.
	BackendID string
	// ReadBytes and WrittenBytes are the bytes the attempt read from and
	// wrote to storage through package storage, as its worker counted
	// them (worker.Stats); zero when it moved none or its worker did not
	// count.
	ReadBytes    int64 `json:",omitempty"`
	WrittenBytes int64 `json:",omitempty"`
	// Spent lists the task's billed attempts other than the one whose
	// output was taken: failed attempts, losing copies. Empty for a task
	// that ran once.
	Spent Bills `json:",omitempty"`
}

// Report is the record of one job.
type Report struct {
	Job, Task, Backend string
	Tasks              int
	Concurrency        int
	Start, End         time.Time
	// Records holds every task's record, by index.
	Records Records
	Failed  []*TaskFailure
	// Retries counts the attempts that ran a task again after an attempt
	// of the same copy failed (crashed, lost, throttled, unreachable, ...),
	// counted when they were sent. Throttles counts 429-style refusals.
	Retries, Throttles int64
	// Backups counts the speculative backup copies that made an attempt,
	// BackupWins those whose result was taken. Every attempt is a task's
	// first, a retry or a backup copy's first: the attempts of a run are
	// the tasks it attempted plus Retries plus Backups.
	Backups, BackupWins int64
	// ReadBytes and WrittenBytes sum the storage I/O of every attempt that
	// answered, retried and losing copies included (the records hold each
	// task's resolving attempt's).
	ReadBytes, WrittenBytes int64
}

// Wall returns the job's wall time.
func (r *Report) Wall() time.Duration { return r.End.Sub(r.Start) }

// Succeeded counts the tasks that produced an output.
func (r *Report) Succeeded() int {
	return r.Records.Tally().Done
}
