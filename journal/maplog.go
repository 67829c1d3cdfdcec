package journal

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

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
	evWindow
)

// event is one record queued for the writer, and one decoded from a log.
type event struct {
	kind    eventKind
	m       *mapState
	i       int
	run     int
	id      string
	code    string
	err     string
	rec     overcast.TaskRecord
	out     []byte
	report  *MapReport
	spent   overcast.Bills
	state   State
	hasFail bool
	// win is the backend's window (evWindow).
	win WindowSample
}

// mapState is the writer's view of one Map. It is created by openMap and
// then changed only by the writer goroutine.
type mapState struct {
	seq    int
	meta   mapMeta
	run    int
	t      *tracker
	log    chunkWriter
	next   uint64 // the key of the next chunk
	report *MapReport
	newRep bool
}

// mapLog is the overcast.JobLog of one Map.
type mapLog struct {
	w *writer
	m *mapState
	// resumed is set when an earlier run recorded the Map: its outputs are
	// read from the file (EachCompleted), once.
	resumed bool
	// pending are the activation ids of unfinished tasks of earlier runs,
	// newest first; read-only.
	pending map[int][]string
	// completed holds earlier runs' outputs once Completed was asked.
	completedOnce sync.Once
	completed     map[int][]byte
	completedErr  error
}

// openMap creates Map seq, or loads it when the job already has it.
func (w *writer) openMap(seq int, task string, n int) (*mapLog, error) {
	m := &mapState{seq: seq, meta: mapMeta{Task: task, N: n, Format: formatChunks}, run: w.sum.Runs, t: newTracker(n)}
	l := &mapLog{w: w, m: m}
	err := w.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketMaps).CreateBucketIfNotExists(u32(seq))
		if err != nil {
			return err
		}
		if old := b.Get(keyMeta); old != nil {
			return l.load(b, old)
		}
		if _, err := b.CreateBucket(bucketLog); err != nil {
			return err
		}
		if _, err := b.CreateBucket(bucketFailures); err != nil {
			return err
		}
		return putJSON(b, keyMeta, &m.meta)
	})
	if err != nil {
		return nil, fmt.Errorf("journal: job %s map %d: %w", w.sum.ID, seq, err)
	}
	m.t.keepDirty = true
	for i := range m.t.failures {
		m.t.dirtyFailures[i] = true // a converted journal has none stored yet
	}
	w.mu.Lock()
	w.maps[seq] = m
	w.mu.Unlock()
	w.push(event{kind: evOpen, m: m, run: m.run}) // marks the run in the log, and counts its tasks in the status soon
	return l, nil
}

// load replays the log an earlier run wrote, to know its tasks.
func (l *mapLog) load(b *bolt.Bucket, meta []byte) error {
	var old mapMeta
	if err := json.Unmarshal(meta, &old); err != nil {
		return err
	}
	m := l.m
	if old.Task != m.meta.Task || old.N != m.meta.N {
		return fmt.Errorf("was %d %s tasks, now %d %s tasks", old.N, old.Task, m.meta.N, m.meta.Task)
	}
	if old.Format != formatChunks {
		if err := convertV1(b, m.meta.N); err != nil {
			return fmt.Errorf("convert a journal of an older overcast: %w", err)
		}
		if err := putJSON(b, keyMeta, &m.meta); err != nil {
			return err
		}
	}
	l.resumed = true
	lb := b.Bucket(bucketLog)
	if k, _ := lb.Cursor().Last(); k != nil {
		m.next = binary.BigEndian.Uint64(k) + 1
	}
	if err := replay(lb, m.t.apply); err != nil {
		return err
	}
	m.t.newRun()
	l.pending = map[int][]string{}
	for i := range m.t.actives {
		if ids := m.t.pending(i); len(ids) > 0 {
			l.pending[i] = ids
		}
	}
	return nil
}

// replay decodes every record of a log in order. The events' byte slices
// alias the file: fn copies what it keeps.
func replay(lb *bolt.Bucket, fn func(e *event)) error {
	if lb == nil {
		return errors.New("missing log")
	}
	var e event
	return lb.ForEach(func(k, v []byte) error {
		d := newDecoder(v)
		for d.next(&e) {
			fn(&e)
		}
		if d.err != nil {
			return fmt.Errorf("log chunk %x: %w", k, d.err)
		}
		return nil
	})
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

// EachCompleted calls fn with every task an earlier run finished and its
// output, reading them from the file without keeping them
// (overcast.ResumeLog).
func (l *mapLog) EachCompleted(fn func(i int, out []byte)) error {
	if !l.resumed {
		return nil
	}
	return l.w.db.View(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketMaps).Bucket(u32(l.m.seq)).Bucket(bucketLog)
		seen := newBitset(l.m.meta.N)
		return replay(lb, func(e *event) {
			if e.kind == evFinished && e.i >= 0 && e.i < l.m.meta.N && !seen.has(e.i) {
				seen.set(e.i)
				fn(e.i, e.out)
			}
		})
	})
}

// Completed returns the output of task i when an earlier run finished it.
// The first call reads every output into memory: the scheduler uses
// EachCompleted instead.
func (l *mapLog) Completed(i int) ([]byte, bool) {
	l.completedOnce.Do(func() {
		l.completed = map[int][]byte{}
		l.completedErr = l.EachCompleted(func(i int, out []byte) { l.completed[i] = bytes.Clone(out) })
	})
	out, ok := l.completed[i]
	return out, ok
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

var _ overcast.WindowLog = (*mapLog)(nil)

// Window records the backend's window of invocations in flight from at on
// (overcast.WindowLog).
func (l *mapLog) Window(at time.Time, window, max int) {
	l.w.push(event{kind: evWindow, m: l.m, win: WindowSample{Time: at, Window: window, MaxWindow: max}})
}

// Close records the Map's report and commits everything queued.
func (l *mapLog) Close(r *overcast.Report) error {
	if r != nil {
		l.w.push(event{kind: evClose, m: l.m, report: newMapReport(r)})
	}
	return l.w.sync()
}

// apply records one event: in the log and in the Map's summary.
func (m *mapState) apply(e *event) {
	if e.kind == evClose {
		m.report, m.newRep = e.report, true
		return
	}
	if e.kind != evOpen && e.kind != evWindow && (e.i < 0 || e.i >= m.meta.N) {
		return
	}
	m.log.add(e)
	m.t.apply(e)
}

// store writes the Map's new log chunks, summary, failures and report.
func (m *mapState) store(mb *bolt.Bucket) error {
	b := mb.Bucket(u32(m.seq))
	lb := b.Bucket(bucketLog)
	lb.FillPercent = 1 // chunks are appended in key order
	chunks := m.log.take()
	for _, c := range chunks {
		if err := lb.Put(u64(m.next), c); err != nil {
			return err
		}
		m.next++
	}
	if err := m.storeFailures(b.Bucket(bucketFailures)); err != nil {
		return err
	}
	if len(chunks) > 0 {
		if err := putJSON(b, keySummary, &m.t.sum); err != nil {
			return err
		}
	}
	if m.newRep {
		m.newRep = false
		return putJSON(b, keyReport, m.report)
	}
	return nil
}

func (m *mapState) storeFailures(fb *bolt.Bucket) error {
	for _, i := range slices.Sorted(maps.Keys(m.t.dirtyFailures)) {
		var err error
		if f := m.t.failures[i]; f != nil {
			err = putJSON(fb, u32(i), f)
		} else {
			err = fb.Delete(u32(i))
		}
		if err != nil {
			return err
		}
	}
	clear(m.t.dirtyFailures)
	return nil
}
