package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/overcast-sc/overcast"
)

type eventKind uint8

const (
	evAttempted eventKind = iota
	evFinished
	evFailed
	evClose
	evEnd
	evOpen
	evDispatched
	evSpent
)

// event is one record queued for the writer.
type event struct {
	kind    eventKind
	m       *mapState
	i       int
	id      string
	code    string
	err     string
	rec     overcast.TaskRecord
	out     []byte
	report  *MapReport
	spent   overcast.Bills
	state   State
	hasFail bool
}

// mapState is the writer's view of one Map. It is created by openMap and
// then changed only by the writer goroutine.
type mapState struct {
	seq    int
	meta   mapMeta
	run    int
	tasks  []Task
	outs   map[int][]byte // outputs not yet committed
	dirty  []int
	marked []bool
	report *MapReport
	newRep bool

	done, failed int
}

// mapLog is the overcast.JobLog of one Map.
type mapLog struct {
	w         *writer
	m         *mapState
	completed [][]byte   // outputs of tasks done by earlier runs; read-only
	pending   [][]string // activation ids of unfinished tasks of earlier runs, newest first; read-only
}

// openMap creates Map seq, or loads it when the job already has it.
func (w *writer) openMap(seq int, task string, n int) (*mapLog, error) {
	m := &mapState{seq: seq, meta: mapMeta{Task: task, N: n}, run: w.sum.Runs,
		tasks: make([]Task, n), outs: map[int][]byte{}, marked: make([]bool, n)}
	l := &mapLog{w: w, m: m, completed: make([][]byte, n), pending: make([][]string, n)}
	err := w.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketMaps).CreateBucketIfNotExists(u32(seq))
		if err != nil {
			return err
		}
		if old := b.Get(keyMeta); old != nil {
			return l.load(b, old)
		}
		if _, err := b.CreateBucket(bucketTasks); err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketOutputs); err != nil {
			return err
		}
		return putJSON(b, keyMeta, &m.meta)
	})
	if err != nil {
		return nil, fmt.Errorf("journal: job %s map %d: %w", w.sum.ID, seq, err)
	}
	w.mu.Lock()
	w.maps[seq] = m
	w.mu.Unlock()
	w.push(event{kind: evOpen, m: m}) // to count its tasks in the status soon
	return l, nil
}

// load reads the tasks an earlier run recorded.
func (l *mapLog) load(b *bolt.Bucket, meta []byte) error {
	var old mapMeta
	if err := json.Unmarshal(meta, &old); err != nil {
		return err
	}
	m := l.m
	if old != m.meta {
		return fmt.Errorf("was %d %s tasks, now %d %s tasks", old.N, old.Task, m.meta.N, m.meta.Task)
	}
	err := b.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
		i, err := index(k, m.meta.N)
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &m.tasks[i])
	})
	if err != nil {
		return err
	}
	outs := b.Bucket(bucketOutputs)
	for i := range m.tasks {
		switch m.tasks[i].State {
		case TaskDone:
			m.done++
			if out := outs.Get(u32(i)); out != nil {
				l.completed[i] = bytes.Clone(out)
			}
		case TaskFailed:
			m.failed++
			m.tasks[i].carrySpent()
		default:
			l.pending[i] = slices.Clone(m.tasks[i].Activations)
			slices.Reverse(l.pending[i])
			m.tasks[i].carrySpent()
		}
	}
	return nil
}

// carrySpent moves the bills of an earlier run's record of a task that
// may run again into the task's own, so that this run's record, which
// replaces it, does not drop them.
func (t *Task) carrySpent() {
	if r := t.Record; r != nil && len(r.Spent) > 0 {
		t.Spent = append(t.Spent, r.Spent...)
		r.Spent = nil
	}
}

func index(k []byte, n int) (int, error) {
	if len(k) != 4 {
		return 0, fmt.Errorf("bad task key %x", k)
	}
	i := int(uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3]))
	if i >= n {
		return 0, fmt.Errorf("task %d out of range (%d tasks)", i, n)
	}
	return i, nil
}

// Completed returns the output of task i when an earlier run finished it.
func (l *mapLog) Completed(i int) ([]byte, bool) {
	if i < 0 || i >= len(l.completed) || l.completed[i] == nil {
		return nil, false
	}
	return l.completed[i], true
}

// Attempted records an attempt of task i that returned.
func (l *mapLog) Attempted(i, attempt int, backendID string, err error) {
	e := event{kind: evAttempted, m: l.m, i: i, id: backendID}
	if err != nil {
		e.hasFail, e.err = true, err.Error()
	}
	l.w.push(e)
}

// Dispatched records that the platform accepted attempt of task i as id.
func (l *mapLog) Dispatched(i, attempt int, id string) {
	l.w.push(event{kind: evDispatched, m: l.m, i: i, id: id})
}

// Pending returns the ids of task i's attempts that earlier runs had
// dispatched but not seen finish, newest first.
func (l *mapLog) Pending(i int) []string {
	if i < 0 || i >= len(l.pending) {
		return nil
	}
	return l.pending[i]
}

// Finished records task i's output and timeline.
func (l *mapLog) Finished(i int, rec *overcast.TaskRecord, out []byte) {
	l.w.push(event{kind: evFinished, m: l.m, i: i, rec: *rec, out: bytes.Clone(out)})
}

// Failed records task i's final failure.
func (l *mapLog) Failed(i int, rec *overcast.TaskRecord, f *overcast.TaskFailure) {
	e := event{kind: evFailed, m: l.m, i: i, rec: *rec, code: f.Code.String(), hasFail: true}
	if f.Err != nil {
		e.err = f.Err.Error()
	}
	l.w.push(e)
}

// Spent records the bills of task i's attempts in this run, when they grew
// after its Finished or Failed record (overcast.SpentLog).
func (l *mapLog) Spent(i int, bs overcast.Bills) {
	l.w.push(event{kind: evSpent, m: l.m, i: i, spent: slices.Clone(bs)})
}

// Close records the Map's report and commits everything queued.
func (l *mapLog) Close(r *overcast.Report) error {
	if r != nil {
		l.w.push(event{kind: evClose, m: l.m, report: newMapReport(r)})
	}
	return l.w.sync()
}

// apply changes the in-memory state by one event.
func (m *mapState) apply(e *event) {
	switch e.kind {
	case evOpen:
		return
	case evClose:
		m.report, m.newRep = e.report, true
		return
	}
	if e.i < 0 || e.i >= len(m.tasks) {
		return
	}
	t := &m.tasks[e.i]
	m.count(t.State, -1)
	switch e.kind {
	case evDispatched:
		if t.State != TaskDone && t.State != TaskFailed {
			t.State = TaskRunning
		}
		t.addActivation(e.id)
	case evAttempted:
		t.Attempts++
		if t.State != TaskDone {
			t.State = TaskRunning
		}
		t.addActivation(e.id)
		if e.hasFail {
			t.Error = e.err
		}
	case evFinished:
		t.State, t.Code, t.Error = TaskDone, "", ""
		m.outs[e.i] = e.out
		if e.rec.Collected {
			// The collected attempt is one an earlier run left running and
			// billed until it stopped; its record now bills it in full.
			t.Spent = t.Spent.Without(overcast.BillStopped)
		}
	case evFailed:
		t.State, t.Code, t.Error = TaskFailed, e.code, e.err
	case evSpent:
		if t.Record == nil {
			t.Record = &overcast.TaskRecord{}
		}
		t.Record.Spent = e.spent
	}
	if e.kind == evFinished || e.kind == evFailed {
		rec := e.rec
		t.Record = &rec
	}
	t.Run = m.run
	m.count(t.State, 1)
	if !m.marked[e.i] {
		m.marked[e.i] = true
		m.dirty = append(m.dirty, e.i)
	}
}

// addActivation appends an activation id once (a dispatched attempt is
// recorded again when it returns), keeping the newest maxActivations.
func (t *Task) addActivation(id string) {
	if id == "" || (len(t.Activations) > 0 && t.Activations[len(t.Activations)-1] == id) {
		return
	}
	t.Activations = append(t.Activations, id)
	if len(t.Activations) > maxActivations {
		t.Activations = t.Activations[len(t.Activations)-maxActivations:]
	}
}

func (m *mapState) count(state string, d int) {
	switch state {
	case TaskDone:
		m.done += d
	case TaskFailed:
		m.failed += d
	}
}

// store writes the Map's dirty tasks, outputs and report, and forgets them.
func (m *mapState) store(mb *bolt.Bucket) error {
	b := mb.Bucket(u32(m.seq))
	tb, ob := b.Bucket(bucketTasks), b.Bucket(bucketOutputs)
	// In key order: bbolt inserts into a node by copying its tail.
	slices.Sort(m.dirty)
	for _, i := range m.dirty {
		if err := putJSON(tb, u32(i), &m.tasks[i]); err != nil {
			return err
		}
		m.marked[i] = false
	}
	m.dirty = m.dirty[:0]
	for _, i := range slices.Sorted(maps.Keys(m.outs)) {
		if err := ob.Put(u32(i), m.outs[i]); err != nil {
			return err
		}
		delete(m.outs, i)
	}
	if m.newRep {
		m.newRep = false
		return putJSON(b, keyReport, m.report)
	}
	return nil
}
