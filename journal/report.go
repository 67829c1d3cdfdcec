package journal

import (
	"slices"
	"time"

	"github.com/overcast-sc/overcast"
)

// Report rebuilds the scheduler's report of Map m of the job from the
// journal: every task's record, with the bills of earlier runs. m must have
// been read with its tasks (Store.Read).
func (j *Job) Report(m *Map) *overcast.Report {
	r := &overcast.Report{Job: j.ID, Task: m.Task, Tasks: len(m.Tasks), Backend: j.Backend}
	if m.Report != nil {
		r.Backend, r.Concurrency, r.Start, r.End = m.Report.Backend, m.Report.Concurrency, m.Report.Start, m.Report.End
		r.Retries, r.Throttles, r.Backups, r.BackupWins = m.Report.Retries, m.Report.Throttles, m.Report.Backups, m.Report.BackupWins
		r.ReadBytes, r.WrittenBytes = m.Report.ReadBytes, m.Report.WrittenBytes
	}
	r.Records = overcast.NewRecords(len(m.Tasks))
	var first int64
	for i, t := range m.Tasks {
		var rec overcast.TaskRecord
		if t.Record != nil {
			rec = *t.Record
		}
		if len(t.Spent) > 0 { // bills of earlier runs
			rec.Spent = append(slices.Clip(t.Spent), rec.Spent...)
		}
		rec.Attempts = int32(t.Attempts)
		if t.State == TaskRunning && rec.State == overcast.TaskFailedState {
			rec.State = overcast.Running // an earlier run failed it; this one runs it again
		}
		if inv := rec.Invoked; inv != 0 && (first == 0 || inv < first) {
			first = inv
		}
		r.Records.Set(i, &rec)
	}
	if r.Start.IsZero() && first != 0 { // the Map never ended: start at its first invocation
		r.Start = time.Unix(0, first)
	}
	return r
}
