package journal

import (
	"errors"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

func failTask(l *mapLog, i int, msg string) {
	l.Failed(i, &overcast.TaskRecord{State: overcast.TaskFailedState, Attempts: 2},
		&overcast.TaskFailure{Index: i, Attempts: 2, Code: backend.TaskFailed, Err: errors.New(msg)})
}

// counts returns how many of tasks are done and failed by the replay, and
// by the report rebuilt from it (jobs plot, the dashboard).
func counts(j *Job, m *Map) (done, failed, repDone, repFailed int) {
	for _, t := range m.Tasks {
		switch t.State {
		case TaskDone:
			done++
		case TaskFailed:
			failed++
		}
	}
	rep := j.Report(m)
	for i := range rep.Tasks {
		switch rep.Records.At(i).State {
		case overcast.Done:
			repDone++
		case overcast.TaskFailedState:
			repFailed++
		}
	}
	return
}

// checkCounts checks that the job's summary (jobs list), the Map's summary
// and failures (jobs show), the replay and the report agree.
func checkCounts(t *testing.T, s *Store, id string, done, failed int, errs map[int]string) {
	t.Helper()
	sum, err := s.Summary(id)
	if err != nil || sum.DoneTasks != done || sum.FailedTasks != failed {
		t.Fatalf("summary %+v, %v; want %d done, %d failed", sum, err, done, failed)
	}
	js, err := s.ReadSummary(id)
	if err != nil {
		t.Fatal(err)
	}
	ms := js.Maps[0]
	if ms.Summary.Done != done || ms.Summary.Failed != failed || len(ms.Failures) != failed {
		t.Fatalf("map summary %+v, %d failures; want %d done, %d failed", ms.Summary, len(ms.Failures), done, failed)
	}
	for _, f := range ms.Failures {
		if f.Error != errs[f.Index] {
			t.Errorf("failure of task %d: %q; want %q", f.Index, f.Error, errs[f.Index])
		}
	}
	j, err := s.Read(id)
	if err != nil {
		t.Fatal(err)
	}
	m := j.Maps[0]
	if d, f, rd, rf := counts(j, m); d != done || f != failed || rd != done || rf != failed {
		t.Fatalf("replay %d done, %d failed; report %d done, %d failed; want %d and %d", d, f, rd, rf, done, failed)
	}
	for i, msg := range errs {
		if m.Tasks[i].State != TaskFailed || m.Tasks[i].Error != msg {
			t.Errorf("task %d: %s, %q; want failed with %q", i, m.Tasks[i].State, m.Tasks[i].Error, msg)
		}
	}
}

// A losing copy's records written after its task resolved (a backup's
// late attempt after the original failed the task, or finished it) do
// not undo the resolution in any of the journal's views; a later run's
// attempt does undo a failure, as the task runs again.
func TestBackupRecordsAfterFailureKeepItFailed(t *testing.T) {
	s := New(t.TempDir())
	spec := testSpec("backups")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 7)
	canceled := errors.New("context canceled")
	// 0: the original fails; its backup's canceled attempt returns after.
	l.Attempted(0, 1, "a0", errors.New("crash 0"))
	l.Dispatched(0, 2, "b0")
	failTask(l, 0, "crash 0")
	l.Attempted(0, 2, "b0", canceled)
	// 1: the backup's late attempt returns no error.
	l.Attempted(1, 1, "a1", errors.New("crash 1"))
	failTask(l, 1, "crash 1")
	l.Attempted(1, 2, "b1", nil)
	// 2: the backup's attempt returns before the failure.
	l.Attempted(2, 2, "b2", errors.New("crash 2b"))
	l.Attempted(2, 1, "a2", errors.New("crash 2"))
	failTask(l, 2, "crash 2")
	// 3: the backup is dispatched after the failure, and returns later.
	l.Attempted(3, 1, "a3", errors.New("crash 3"))
	failTask(l, 3, "crash 3")
	l.Dispatched(3, 2, "b3")
	l.Attempted(3, 2, "b3", canceled)
	// 4: finished; the losing copy returns after.
	l.Attempted(4, 1, "a4", nil)
	l.Finished(4, &overcast.TaskRecord{State: overcast.Done, Attempts: 1}, output(4))
	l.Attempted(4, 2, "b4", canceled)
	// 5: finished. 6: never resolved.
	l.Attempted(5, 1, "a5", nil)
	l.Finished(5, &overcast.TaskRecord{State: overcast.Done, Attempts: 1}, output(5))
	l.Attempted(6, 1, "a6", errors.New("crash 6"))
	if err := l.Close(&overcast.Report{Backend: "local", Start: time.Now(), End: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.End(Failed, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	errs := map[int]string{0: "crash 0", 1: "crash 1", 2: "crash 2", 3: "crash 3"}
	checkCounts(t, s, "backups", 2, 4, errs)

	// A second run runs task 0 again and task 6 at last.
	r2 := record(t, s, spec)
	l2 := openMap(t, r2, 0, "t", 7)
	l2.Attempted(0, 1, "c0", nil)
	l2.Finished(0, &overcast.TaskRecord{State: overcast.Done, Attempts: 1}, output(0))
	l2.Attempted(1, 1, "c1", errors.New("crash 1 again"))
	l2.Attempted(6, 1, "c6", nil)
	l2.Finished(6, &overcast.TaskRecord{State: overcast.Done, Attempts: 1}, output(6))
	if err := l2.Close(&overcast.Report{Backend: "local", Start: time.Now(), End: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r2.End(Failed, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Task 1 is running again (its second run stopped), not failed.
	checkCounts(t, s, "backups", 4, 2, map[int]string{2: "crash 2", 3: "crash 3"})
}
