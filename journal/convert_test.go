package journal

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/overcast-sc/overcast"
)

// writeV1 writes a job as overcast wrote journals before format 2: one
// JSON record per task and the outputs apart.
func writeV1(t *testing.T, s *Store, spec Spec, tasks []Task, outs map[int][]byte) {
	t.Helper()
	r := record(t, s, spec)
	if _, err := r.writer(); err != nil {
		t.Fatal(err)
	}
	w := r.w
	err := w.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketMaps).CreateBucket(u32(0))
		if err != nil {
			return err
		}
		tb, _ := b.CreateBucket(bucketTasks)
		ob, _ := b.CreateBucket(bucketOutputs)
		for i := range tasks {
			data, _ := json.Marshal(&tasks[i])
			tb.Put(u32(i), data)
		}
		for i, o := range outs {
			ob.Put(u32(i), o)
		}
		meta, _ := json.Marshal(mapMeta{Task: "t", N: len(tasks)})
		return b.Put(keyMeta, meta)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.End(Interrupted, nil); err != nil {
		t.Fatal(err)
	}
}

// A job journaled by an older overcast reads as it did, and resumes: its
// finished tasks are not run again and its pending activations are kept.
func TestOlderJournalReadsAndResumes(t *testing.T) {
	s := New(t.TempDir())
	spec := testSpec("old")
	rec := &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Start: 10, End: 40, Invoked: 5, Returned: 50, Cold: true}
	tasks := []Task{
		{State: TaskDone, Attempts: 1, Run: 1, Activations: []string{"a0"}, Record: rec},
		{State: TaskFailed, Attempts: 2, Run: 1, Code: "task failed", Error: "boom", Record: &overcast.TaskRecord{State: overcast.TaskFailedState, Attempts: 2}},
		{State: TaskRunning, Attempts: 1, Run: 1, Activations: []string{"a2", "b2"}},
		{},
	}
	writeV1(t, s, spec, tasks, map[int][]byte{0: output(0)})
	before, err := s.Read("old")
	if err != nil || before.Maps[0].Tasks[0].Record.End != 40 || before.Stats().Failed != 1 {
		t.Fatalf("reading an older journal: %+v, %v", before, err)
	}

	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 4)
	var done []int
	if err := l.EachCompleted(func(i int, out []byte) {
		done = append(done, i)
		if string(out) != string(output(i)) {
			t.Errorf("task %d output %q", i, out)
		}
	}); err != nil || !slices.Equal(done, []int{0}) {
		t.Fatalf("completed %v, %v", done, err)
	}
	if got := l.Pending(2); !slices.Equal(got, []string{"b2", "a2"}) {
		t.Errorf("Pending(2) = %v", got)
	}
	l.Attempted(3, 1, "", nil)
	l.Finished(3, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Start: 1, End: 2}, output(3))
	if err := l.Close(&overcast.Report{Start: time.Now(), End: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.End(Interrupted, nil); err != nil {
		t.Fatal(err)
	}
	after, err := s.Read("old")
	if err != nil {
		t.Fatal(err)
	}
	got := after.Maps[0].Tasks
	if got[0].State != TaskDone || got[0].Record.End != 40 || !got[0].Record.Cold || got[0].Run != 1 ||
		got[1].State != TaskFailed || got[1].Error != "boom" || got[1].Attempts != 2 ||
		got[2].State != TaskRunning || !slices.Equal(got[2].Activations, []string{"a2", "b2"}) ||
		got[3].State != TaskDone || got[3].Run != 2 {
		t.Fatalf("after resuming an older journal: %+v", got)
	}
	sum, err := s.ReadSummary("old")
	if err != nil {
		t.Fatal(err)
	}
	if st := sum.Stats(); st.Done != 2 || st.Failed != 1 || st.Pending != 1 || st.Retries != 1 || st.ColdStarts != 1 || len(st.Failures) != 1 {
		t.Fatalf("summary of a converted journal: %+v", st)
	}
	if out, err := s.Output("old", 0, 3); err != nil || string(out) != string(output(3)) {
		t.Fatalf("output of task 3: %q, %v", out, err)
	}
}
