package journal

import (
	"encoding/binary"
	"time"

	"github.com/overcast-sc/overcast"
)

// State is where a job stands.
type State string

// The job states. Stopped is never written: it is how a job that the file
// says is Running reads when no live driver holds it (the driver died).
const (
	Running     State = "running"
	Done        State = "done"
	Failed      State = "failed"
	Interrupted State = "interrupted"
	Stopped     State = "stopped"
)

// Resumable reports whether a job in state s can be resumed: it has tasks
// that may still be run.
func (s State) Resumable() bool {
	return s == Stopped || s == Failed || s == Interrupted
}

// Spec is how a job was started: enough to run it again.
type Spec struct {
	ID       string    `json:"id"`
	Workload string    `json:"workload"`
	Backend  string    `json:"backend"`
	Args     []string  `json:"args"`
	Started  time.Time `json:"started"`
	// Storage is the URL of the bucket that holds the job's data under
	// overcast/<id>/ (--storage or OVERCAST_STORAGE), for resuming and
	// cleaning; empty when the job had none.
	Storage string `json:"storage,omitempty"`
}

// The task states in Task.State.
const (
	TaskPending = ""
	TaskRunning = "running" // attempted, not resolved
	TaskDone    = "done"
	TaskFailed  = "failed"
)

// maxActivations bounds the activation ids kept per task (the latest).
const maxActivations = 16

// Task is the journal's record of one task. Its output is stored apart.
type Task struct {
	State string `json:"state,omitempty"`
	// Attempts counts the invocations that returned, over every run,
	// throttled ones and backup copies included; Record.Attempts counts
	// those of the last run that count against its --max-attempts.
	Attempts int `json:"attempts,omitempty"`
	// Run is the driver run (1 for the first) that last changed the task.
	Run int `json:"run,omitempty"`
	// Activations are the platform's ids of its attempts, oldest first.
	Activations []string `json:"activations,omitempty"`
	// Code and Error describe the last error (platform's or the task's).
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	// Record is the timeline of the attempt that resolved the task, with
	// the bills of this run's other attempts (Record.Spent).
	Record *overcast.TaskRecord `json:"record,omitempty"`
	// Spent are the bills of earlier runs' attempts of the task.
	Spent overcast.Bills `json:"spent,omitempty"`
}

// MapReport is what the scheduler reported when a Map ended.
type MapReport struct {
	Backend     string    `json:"backend"`
	Concurrency int       `json:"concurrency"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Retries     int64     `json:"retries"`
	Throttles   int64     `json:"throttles"`
	Backups     int64     `json:"backups"`
	BackupWins  int64     `json:"backup_wins"`
	// ReadBytes and WrittenBytes are the storage I/O of every attempt
	// (overcast.Report); absent from older journals.
	ReadBytes    int64 `json:"read_bytes,omitempty"`
	WrittenBytes int64 `json:"written_bytes,omitempty"`
}

func newMapReport(r *overcast.Report) *MapReport {
	return &MapReport{Backend: r.Backend, Concurrency: r.Concurrency, Start: r.Start, End: r.End,
		Retries: r.Retries, Throttles: r.Throttles, Backups: r.Backups, BackupWins: r.BackupWins,
		ReadBytes: r.ReadBytes, WrittenBytes: r.WrittenBytes}
}

// mapMeta identifies a Map of a job. Format is formatChunks for a Map
// kept as a log of records; journals of older overcast versions have 0
// (one JSON record per task) and are converted when resumed.
type mapMeta struct {
	Task   string `json:"task"`
	N      int    `json:"n"`
	Format int    `json:"format,omitempty"`
}

// formatChunks is the format of Maps written as a log (see codec.go).
const formatChunks = 2

// Summary is a job at a glance, as jobs list shows it.
type Summary struct {
	ID          string    `json:"id"`
	Workload    string    `json:"workload"`
	Backend     string    `json:"backend,omitempty"`
	State       State     `json:"state"`
	Tasks       int       `json:"tasks"`
	DoneTasks   int       `json:"done_tasks"`
	FailedTasks int       `json:"failed_tasks"`
	Started     time.Time `json:"started"`
	Updated     time.Time `json:"updated"`
	// WallSeconds is the driver time spent on the job over every run.
	WallSeconds float64 `json:"wall_seconds,omitempty"`
	Runs        int     `json:"runs"`
}

// Bucket and key names of the file.
var (
	bucketJob     = []byte("job")
	bucketMaps    = []byte("maps")
	bucketTasks   = []byte("tasks")
	bucketOutputs = []byte("outputs")
	keySpec       = []byte("spec")
	keyStatus     = []byte("status")
	keyResult     = []byte("result")
	keyMeta       = []byte("meta")
	keyReport     = []byte("report")
	// Format 2.
	bucketLog      = []byte("log")
	bucketFailures = []byte("failures")
	keySummary     = []byte("summary")
)

// u64 encodes a log chunk's key.
func u64(i uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, i)
}

// u32 encodes a Map sequence number or task index as a key that sorts.
func u32(i int) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(i))
}
