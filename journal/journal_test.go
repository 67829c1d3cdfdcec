package journal

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

func testSpec(id string) Spec {
	return Spec{ID: id, Workload: "pi", Backend: "local", Args: []string{"--tasks=10"}, Started: time.Now().UTC()}
}

func record(t *testing.T, s *Store, spec Spec) *Recorder {
	t.Helper()
	r, err := s.Record(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openMap(t *testing.T, r *Recorder, seq int, task string, n int) *mapLog {
	t.Helper()
	l, err := r.Job(r.spec.ID, seq, task, n)
	if err != nil {
		t.Fatal(err)
	}
	return l.(*mapLog)
}

func output(i int) []byte { return fmt.Appendf(nil, `{"n":%d}`, i) }

// crash stops a recorder as a killed driver would: what is queued is lost,
// the file is closed without an end.
func crash(r *Recorder) {
	w := r.w
	w.mu.Lock()
	w.queue, w.stopped = nil, true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.db.Close()
}

func TestRoundTrip(t *testing.T) {
	s := New(t.TempDir())
	r := record(t, s, testSpec("job-1"))
	l := openMap(t, r, 0, "pi/sample", 4)
	if _, ok := l.Completed(0); ok {
		t.Fatal("a new job has a completed task")
	}
	l.Attempted(0, 1, "act-0", nil)
	l.Finished(0, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Start: 10, End: 30, Cold: true}, output(0))
	l.Attempted(1, 1, "act-1a", errors.New("503 unavailable"))
	l.Attempted(1, 2, "act-1b", nil)
	l.Finished(1, &overcast.TaskRecord{State: overcast.Done, Attempts: 2, Start: 40, End: 50}, output(1))
	l.Attempted(2, 1, "act-2", nil)
	l.Failed(2, &overcast.TaskRecord{State: overcast.TaskFailedState, Attempts: 1},
		&overcast.TaskFailure{Index: 2, Attempts: 1, Code: backend.TaskFailed, Err: errors.New("boom")})
	if err := l.Close(&overcast.Report{Backend: "local", Retries: 1, Start: time.Now(), End: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.End(Failed, []byte(`{"answer":3}`)); err != nil {
		t.Fatal(err)
	}

	j, err := s.Read("job-1")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Failed || j.Tasks != 4 || j.DoneTasks != 2 || j.FailedTasks != 1 || j.Runs != 1 || string(j.Result) != `{"answer":3}` {
		t.Fatalf("summary %+v, result %s", j.Summary, j.Result)
	}
	if !slices.Equal(j.Spec.Args, []string{"--tasks=10"}) || j.Spec.Workload != "pi" || len(j.Maps) != 1 || j.Maps[0].Report == nil || j.Maps[0].Report.Retries != 1 {
		t.Fatalf("spec %+v, maps %+v", j.Spec, j.Maps)
	}
	tasks := j.Maps[0].Tasks
	tests := []struct {
		i           int
		state       string
		attempts    int
		activations []string
		err         string
		start       int64
	}{
		{0, TaskDone, 1, []string{"act-0"}, "", 10},
		{1, TaskDone, 2, []string{"act-1a", "act-1b"}, "", 40},
		{2, TaskFailed, 1, []string{"act-2"}, "boom", 0},
		{3, TaskPending, 0, nil, "", 0},
	}
	for _, tt := range tests {
		got := tasks[tt.i]
		start := int64(0)
		if got.Record != nil {
			start = got.Record.Start
		}
		if got.State != tt.state || got.Attempts != tt.attempts || !slices.Equal(got.Activations, tt.activations) || got.Error != tt.err || start != tt.start {
			t.Errorf("task %d: %+v", tt.i, got)
		}
	}
	if tasks[2].Code != backend.TaskFailed.String() || !tasks[0].Record.Cold {
		t.Errorf("task 2 code %q, task 0 record %+v", tasks[2].Code, tasks[0].Record)
	}
	if out, err := s.Output("job-1", 0, 1); err != nil || string(out) != string(output(1)) {
		t.Errorf("output of task 1: %q, %v", out, err)
	}
	sums, err := s.List()
	if err != nil || len(sums) != 1 || sums[0].ID != "job-1" || sums[0].State != Failed {
		t.Fatalf("list: %+v, %v", sums, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	const workers, per = 8, 500
	s := New(t.TempDir())
	r := record(t, s, testSpec("many"))
	l := openMap(t, r, 0, "t", workers*per)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range per {
				i := w*per + k
				l.Attempted(i, 1, fmt.Sprint("a", i), nil)
				l.Finished(i, &overcast.TaskRecord{State: overcast.Done, Attempts: 1}, output(i))
			}
		})
	}
	wg.Wait()
	if err := l.Close(&overcast.Report{}); err != nil {
		t.Fatal(err)
	}
	// Events after the end (losing backup copies) are dropped harmlessly.
	if err := r.End(Done, nil); err != nil {
		t.Fatal(err)
	}
	l.Attempted(0, 2, "late", nil)

	j, err := s.Read("many")
	if err != nil {
		t.Fatal(err)
	}
	if j.DoneTasks != workers*per || j.State != Done {
		t.Fatalf("summary %+v", j.Summary)
	}
	for i, task := range j.Maps[0].Tasks {
		if task.State != TaskDone || task.Attempts != 1 || task.Activations[0] != fmt.Sprint("a", i) {
			t.Fatalf("task %d: %+v", i, task)
		}
	}
}

func TestReopenAfterUncleanStop(t *testing.T) {
	const n = 10
	s := New(t.TempDir())
	spec := testSpec("crashed")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", n)
	for i := range 5 {
		l.Attempted(i, 1, "", nil)
		l.Finished(i, &overcast.TaskRecord{State: overcast.Done}, output(i))
	}
	if err := l.w.sync(); err != nil {
		t.Fatal(err)
	}
	l.Finished(5, &overcast.TaskRecord{State: overcast.Done}, output(5)) // never committed
	crash(r)

	sum, err := s.Summary("crashed")
	if err != nil || sum.State != Stopped || sum.DoneTasks != 5 || !sum.State.Resumable() {
		t.Fatalf("summary after crash: %+v, %v", sum, err)
	}
	r2 := record(t, s, spec)
	l2 := openMap(t, r2, 0, "t", n)
	for i := range n {
		out, ok := l2.Completed(i)
		if ok != (i < 5) || ok && string(out) != string(output(i)) {
			t.Fatalf("Completed(%d) = %q, %v", i, out, ok)
		}
		if !ok {
			l2.Attempted(i, 1, "", nil)
			l2.Finished(i, &overcast.TaskRecord{State: overcast.Done}, output(i))
		}
	}
	if err := l2.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := r2.End(Done, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	j, err := s.Read("crashed")
	if err != nil || j.Runs != 2 || j.State != Done || j.DoneTasks != n {
		t.Fatalf("after resume: %+v, %v", j, err)
	}
	for i, task := range j.Maps[0].Tasks {
		if want := 1 + i/5; task.Run != want || task.Attempts != 1 {
			t.Errorf("task %d: run %d, attempts %d; want run %d, 1 attempt", i, task.Run, task.Attempts, want)
		}
	}
}

func TestLiveJobIsBusy(t *testing.T) {
	openWait = 10 * time.Millisecond
	defer func() { openWait = 2 * time.Second }()
	s := New(t.TempDir())
	spec := testSpec("live")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 3)
	l.Finished(0, &overcast.TaskRecord{}, output(0))
	if err := l.w.sync(); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.Summary("live"); err != nil || sum.State != Running || sum.DoneTasks != 1 {
		t.Fatalf("live summary %+v, %v", sum, err)
	}
	if err := s.Check(spec); !errors.Is(err, ErrBusy) {
		t.Fatalf("Check of a live job: %v", err)
	}
	if err := s.Remove("live"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Remove of a live job: %v", err)
	}
	if _, err := record(t, s, spec).Job("live", 0, "t", 3); !errors.Is(err, ErrBusy) {
		t.Fatalf("second driver: %v", err)
	}
	if err := r.End(Done, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("live"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Summary("live"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Remove: %v", err)
	}
}

func TestReopenRefusesAnotherJob(t *testing.T) {
	s := New(t.TempDir())
	spec := testSpec("x")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 3)
	l.Close(nil)
	r.End(Done, nil)

	other := spec
	other.Args = []string{"--tasks=11"}
	if err := s.Check(other); err == nil {
		t.Error("Check accepted other args")
	}
	if err := s.Check(spec); err != nil {
		t.Errorf("Check of the same spec: %v", err)
	}
	tests := []struct {
		name string
		spec Spec
		task string
		n    int
	}{
		{"other args", other, "t", 3},
		{"other task count", spec, "t", 4},
		{"other task", spec, "u", 3},
	}
	for _, tt := range tests {
		r := record(t, s, tt.spec)
		if _, err := r.Job("x", 0, tt.task, tt.n); err == nil {
			t.Errorf("%s: reopened", tt.name)
		}
		r.End(Done, nil)
	}
}

func TestValidID(t *testing.T) {
	for id, ok := range map[string]bool{
		"20260101-120000-abcdef": true, "a": true, "my_job.2": true,
		"": false, ".": false, "..": false, "../x": false, "a/b": false, "-x": false, " a": false,
	} {
		if err := ValidID(id); (err == nil) != ok {
			t.Errorf("ValidID(%q) = %v", id, err)
		}
	}
	if _, err := New(t.TempDir()).Record(Spec{ID: "../etc"}); err == nil {
		t.Error("Record accepted a path as id")
	}
}

func TestDefaultRoot(t *testing.T) {
	t.Setenv("OVERCAST_HOME", "/srv/oc")
	if got, err := DefaultRoot(); err != nil || got != "/srv/oc/jobs" {
		t.Errorf("with OVERCAST_HOME: %q, %v", got, err)
	}
	t.Setenv("OVERCAST_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got, err := DefaultRoot(); err != nil || got != "/home/u/.overcast/jobs" {
		t.Errorf("with HOME: %q, %v", got, err)
	}
	t.Setenv("HOME", "")
	if _, err := DefaultRoot(); err == nil {
		t.Error("no error without a home")
	}
}

// BenchmarkHotPath measures what the scheduler pays per task: one
// Attempted and one Finished call, with the writer committing behind.
func BenchmarkHotPath(b *testing.B) {
	s := New(b.TempDir())
	r, _ := s.Record(testSpec("bench"))
	l, err := r.Job("bench", 0, "t", b.N)
	if err != nil {
		b.Fatal(err)
	}
	rec := &overcast.TaskRecord{State: overcast.Done, Attempts: 1}
	out := output(12345)
	b.ResetTimer()
	for i := range b.N {
		l.Attempted(i, 1, "activation-id", nil)
		l.Finished(i, rec, out)
	}
	if err := l.Close(nil); err != nil {
		b.Fatal(err)
	}
	r.End(Done, nil)
}

func TestDispatchedIDsArePendingAfterUncleanStop(t *testing.T) {
	s := New(t.TempDir())
	spec := testSpec("away")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 4)
	l.Dispatched(0, 1, "a0")
	l.Attempted(0, 1, "a0", nil)
	l.Finished(0, &overcast.TaskRecord{State: overcast.Done}, output(0))
	l.Dispatched(1, 1, "a1")
	l.Dispatched(1, 2, "b1") // a retry, also accepted
	l.Dispatched(2, 1, "a2")
	l.Attempted(2, 1, "a2", nil)
	l.Failed(2, &overcast.TaskRecord{}, &overcast.TaskFailure{Index: 2, Err: errors.New("x")})
	if err := l.w.sync(); err != nil {
		t.Fatal(err)
	}
	crash(r)
	r2 := record(t, s, spec)
	l2 := openMap(t, r2, 0, "t", 4)
	defer crash(r2) // its writer goroutine must not outlive the test
	want := map[int][]string{1: {"b1", "a1"}}
	for i := range 4 {
		if got := l2.Pending(i); !slices.Equal(got, want[i]) {
			t.Errorf("Pending(%d) = %v, want %v", i, got, want[i])
		}
	}
}

func TestDecisiveArgsIgnoreTuning(t *testing.T) {
	a := []string{"--samples=100", "--concurrency=2", "--tasks=4", "--timeout=1s"}
	b := []string{"--samples=100", "--tasks=4", "--max-attempts=3", "--workers=9"}
	if !slices.Equal(decisive(a), decisive(b)) {
		t.Fatalf("decisive(%v) = %v, decisive(%v) = %v", a, decisive(a), b, decisive(b))
	}
	if c := []string{"--samples=200", "--tasks=4"}; slices.Equal(decisive(a), decisive(c)) {
		t.Fatal("a different sample count was taken as the same job")
	}
}

func bills(bs ...overcast.Bill) overcast.Bills {
	var out overcast.Bills
	for _, b := range bs {
		out = out.Append(b)
	}
	return out
}

// Bills of attempts the platform ran are kept over runs: this run's in
// the record (completed by late losers), earlier runs' in the task; an
// attempt a run left running and a later run collected is billed once.
func TestBillsSurviveRuns(t *testing.T) {
	ms := time.Millisecond
	f := func(d time.Duration) overcast.Bill {
		return overcast.Bill{Duration: d, Kind: overcast.BillFailed, Reported: true}
	}
	outrun := overcast.Bill{Duration: 20 * ms, Kind: overcast.BillOutrun}
	stopped := overcast.Bill{Duration: 30 * ms, Kind: overcast.BillStopped}
	s := New(t.TempDir())
	spec := testSpec("billed")
	r := record(t, s, spec)
	l := openMap(t, r, 0, "t", 3)
	l.Attempted(0, 1, "", errors.New("crashed"))
	l.Attempted(0, 2, "", nil)
	l.Finished(0, &overcast.TaskRecord{State: overcast.Done, Attempts: 2, Spent: bills(f(10 * ms))}, output(0))
	l.Spent(0, bills(f(10*ms), outrun)) // a losing copy ended after the task was done
	for a := 1; a <= 3; a++ {
		l.Attempted(1, a, "", errors.New("crashed"))
	}
	l.Failed(1, &overcast.TaskRecord{State: overcast.TaskFailedState, Attempts: 2, Throttled: 1, Spent: bills(f(5*ms), f(6*ms))},
		&overcast.TaskFailure{Index: 1, Attempts: 2, Code: backend.Crashed, Err: errors.New("crashed")})
	l.Dispatched(2, 1, "act-2")
	l.Spent(2, bills(stopped)) // running when the job was stopped
	if err := l.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := r.End(Interrupted, nil); err != nil {
		t.Fatal(err)
	}
	j, err := s.Read("billed")
	if err != nil {
		t.Fatal(err)
	}
	if fs := j.Stats().Failures; len(fs) != 1 || fs[0].Attempts != 2 || j.Maps[0].Tasks[1].Attempts != 3 {
		t.Fatalf("failures %+v; want task 1 failed after 2 capped attempts (3 invocations)", fs)
	}

	r2 := record(t, s, spec)
	l2 := openMap(t, r2, 0, "t", 3)
	l2.Finished(1, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Spent: bills(f(7 * ms))}, output(1))
	l2.Finished(2, &overcast.TaskRecord{State: overcast.Done, Collected: true}, output(2))
	if err := l2.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := r2.End(Done, nil); err != nil {
		t.Fatal(err)
	}
	j, err = s.Read("billed")
	if err != nil {
		t.Fatal(err)
	}
	tasks := j.Maps[0].Tasks
	want := []struct{ record, task overcast.Bills }{
		{bills(f(10*ms), outrun), nil},
		{bills(f(7 * ms)), bills(f(5*ms), f(6*ms))},
		{nil, nil},
	}
	for i, w := range want {
		if string(tasks[i].Record.Spent) != string(w.record) || string(tasks[i].Spent) != string(w.task) {
			t.Errorf("task %d: record bills %v, task bills %v; want %v and %v", i, tasks[i].Record.Spent, tasks[i].Spent, w.record, w.task)
		}
	}
}
