package overcast_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// stallDriver never answers the first attempt of the chosen tasks (as a
// platform that lost them would), and answers everything else at once.
type stallDriver struct {
	stall map[int]bool
	mu    sync.Mutex
	calls map[int]int
}

func (d *stallDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	d.mu.Lock()
	d.calls[inv.Index]++
	d.mu.Unlock()
	if d.stall[inv.Index] && inv.Attempt == 1 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}, nil
}
func (d *stallDriver) Capacity() int                    { return 8 }
func (d *stallDriver) ErrorCode(error) driver.ErrorCode { return driver.Unknown }
func (d *stallDriver) Close() error                     { return nil }

func TestBackupTasksRescueStragglers(t *testing.T) {
	d := &stallDriver{stall: map[int]bool{3: true, 40: true}, calls: map[int]int{}}
	ex := overcast.NewExecutorFor(backend.New("stall", d), &overcast.Options{
		Speculation: overcast.Speculation{Min: 20 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := overcast.Map[int, int](ctx, ex, "test/double", ints(50))
	outs, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o != 2*i {
			t.Fatalf("out[%d] = %d", i, o)
		}
	}
	rep := f.Report()
	if rep.Backups != 2 || rep.BackupWins != 2 {
		t.Fatalf("backups %d, wins %d; want 2 and 2", rep.Backups, rep.BackupWins)
	}
	for _, i := range []int{3, 40} {
		if r := rep.Records.At(i); !r.Backup || r.Attempts != 2 {
			t.Errorf("task %d record %+v; want won by its backup on attempt 2", i, r)
		}
	}
}

func TestNoBackupsWhenDisabled(t *testing.T) {
	d := &stallDriver{stall: map[int]bool{1: true}, calls: map[int]int{}}
	ex := overcast.NewExecutorFor(backend.New("stall", d), &overcast.Options{
		Speculation: overcast.Speculation{Disable: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := overcast.Map[int, int](ctx, ex, "test/double", ints(5)).Wait(context.Background())
	if err == nil {
		t.Fatal("the stalled task finished without a backup")
	}
	if d.calls[1] != 1 {
		t.Fatalf("task 1 invoked %d times", d.calls[1])
	}
}

// memJournal is an in-memory Journal.
type memJournal struct {
	mu       sync.Mutex
	outs     map[int][]byte
	finished map[int]int
	attempts int
}

func (m *memJournal) Job(id string, seq int, task string, n int) (overcast.JobLog, error) {
	return m, nil
}
func (m *memJournal) Completed(i int) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.outs[i]
	return b, ok
}
func (m *memJournal) Attempted(i, attempt int, id string, err error) {
	m.mu.Lock()
	m.attempts++
	m.mu.Unlock()
}
func (m *memJournal) Finished(i int, rec *overcast.TaskRecord, out []byte) {
	m.mu.Lock()
	m.outs[i] = out
	m.finished[i]++
	m.mu.Unlock()
}
func (m *memJournal) Failed(int, *overcast.TaskRecord, *overcast.TaskFailure) {}
func (m *memJournal) Close(*overcast.Report) error                            { return nil }

func TestJournalResumeRunsOnlyUnfinishedTasks(t *testing.T) {
	for _, url := range []string{"local", "local://?encode=false"} {
		j := &memJournal{outs: map[int][]byte{0: []byte("100"), 7: []byte("700")}, finished: map[int]int{}}
		ex, err := overcast.NewExecutor(context.Background(), url, &overcast.Options{Journal: j, JobID: "resume-test"})
		if err != nil {
			t.Fatal(err)
		}
		f := overcast.Map[int, int](context.Background(), ex, "test/double", ints(10))
		outs, err := f.Wait(context.Background())
		ex.Close()
		if err != nil {
			t.Fatal(err)
		}
		if outs[0] != 100 || outs[7] != 700 || outs[5] != 10 {
			t.Fatalf("%s: outs = %v; want journaled outputs for 0 and 7", url, outs)
		}
		if j.attempts != 8 || j.finished[0] != 0 || j.finished[3] != 1 || string(j.outs[3]) != "6" {
			t.Fatalf("%s: %d attempts, finished %v, out 3 %s", url, j.attempts, j.finished, j.outs[3])
		}
		if !f.Report().Records.At(7).Resumed {
			t.Fatalf("%s: record 7 not marked resumed", url)
		}
	}
}

// raceDriver holds task 1's first attempt until its backup is invoked,
// then answers it at once; the backup answers a little later, when the
// first copy is most likely delivering its output. Nothing else orders
// the two copies, so that the race detector sees what they share.
type raceDriver struct {
	backupStarted chan struct{}
}

func (d *raceDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	switch {
	case inv.Index == 1 && inv.Attempt == 1:
		<-d.backupStarted
	case inv.Index == 1:
		close(d.backupStarted)
		time.Sleep(50 * time.Millisecond)
	}
	return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}, nil
}
func (d *raceDriver) Capacity() int                    { return 4 }
func (d *raceDriver) ErrorCode(error) driver.ErrorCode { return driver.Unknown }
func (d *raceDriver) Close() error                     { return nil }

// slowJournal journals task 1's output slowly, keeping the copy that
// resolved it delivering while the other answers.
type slowJournal struct{ memJournal }

func (m *slowJournal) Job(string, int, string, int) (overcast.JobLog, error) { return m, nil }

// Attempted takes no lock, which would order the copies.
func (m *slowJournal) Attempted(int, int, string, error) {}

func (m *slowJournal) Finished(i int, rec *overcast.TaskRecord, out []byte) {
	if i == 1 {
		time.Sleep(200 * time.Millisecond)
	}
	m.memJournal.Finished(i, rec, out)
}

// A copy of a backed-up task learns whether it won without reading the
// task's record, which the winner may be writing (run with -race: the
// backup loop used to read it).
func TestBackupCopiesDoNotReadTheWinnersRecord(t *testing.T) {
	d := &raceDriver{backupStarted: make(chan struct{})}
	j := &slowJournal{memJournal{outs: map[int][]byte{}, finished: map[int]int{}}}
	ex := overcast.NewExecutorFor(backend.New("race", d), &overcast.Options{Journal: j, JobID: "race",
		Speculation: overcast.Speculation{Min: 20 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := overcast.Map[int, int](ctx, ex, "test/double", ints(8))
	if _, err := f.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	rep := f.Report()
	if rep.Backups != 1 || (rep.BackupWins == 1) != rep.Records.At(1).Backup {
		t.Fatalf("backups %d, wins %d, record %+v", rep.Backups, rep.BackupWins, rep.Records.At(1))
	}
	if len(rep.Records.At(1).Spent) == 0 {
		t.Fatal("the losing copy is not billed")
	}
}

// gate holds the first encoding of task 1's input (its first copy building
// its request) until a backup of it is invoked, or a second passes.
type gate struct {
	calls  atomic.Int32
	backup chan struct{}
}

// gatedInt is an input whose encoding task 1's first copy waits on.
type gatedInt struct {
	v int
	g *gate
}

func (g gatedInt) MarshalJSON() ([]byte, error) {
	if g.v == 1 && g.g.calls.Add(1) == 1 {
		select {
		case <-g.g.backup:
		case <-time.After(time.Second):
		}
	}
	return []byte(strconv.Itoa(g.v)), nil
}

// crashDriver crashes every attempt of task 1 and answers the others; it
// opens the gate when a second copy of task 1 is invoked.
type crashDriver struct {
	g     *gate
	mu    sync.Mutex
	calls int
}

func (d *crashDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if inv.Index != 1 {
		return &driver.Activation{Payload: worker.Handle(ctx, inv.Payload)}, nil
	}
	d.mu.Lock()
	d.calls++
	if d.calls == 1 && inv.Attempt == 1 {
		defer close(d.g.backup) // the copy that began first is held in the gate
	}
	d.mu.Unlock()
	return nil, errors.New("worker crashed")
}
func (d *crashDriver) Capacity() int                    { return 8 }
func (d *crashDriver) ErrorCode(error) driver.ErrorCode { return driver.TaskFailed }
func (d *crashDriver) Close() error                     { return nil }

// A task whose first copy is still building its request is no straggler:
// no backup takes its only attempt, and its failure carries the error of
// the attempt that failed (a backup that did left the task's error nil,
// and `overcast run --json` panicked on it).
func TestFailedTaskCarriesItsErrorWithBackups(t *testing.T) {
	g := &gate{backup: make(chan struct{})}
	d := &crashDriver{g: g}
	ex := overcast.NewExecutorFor(backend.New("crash", d), &overcast.Options{MaxAttempts: 1,
		Speculation: overcast.Speculation{Min: time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in := make([]gatedInt, 10)
	for i := range in {
		in[i] = gatedInt{i, g}
	}
	f := overcast.Map[gatedInt, int](ctx, ex, "test/double", in)
	_, err := f.Wait(ctx)
	var je *overcast.JobError
	if !errors.As(err, &je) || len(je.Failed) != 1 || je.Unfinished != 0 {
		t.Fatalf("err = %v; want task 1 failed", err)
	}
	fl := je.Failed[0]
	if fl.Index != 1 || fl.Err == nil || !strings.Contains(fl.Err.Error(), "worker crashed") || fl.Attempts != 1 {
		t.Fatalf("failure %+v; want task 1's crash after 1 attempt", fl)
	}
	if rep := f.Report(); rep.Backups != 0 {
		t.Fatalf("%d backups of a task whose first attempt had not begun", rep.Backups)
	}
}
