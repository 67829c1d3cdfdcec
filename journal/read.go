package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Job is everything the journal holds about a job.
type Job struct {
	Summary
	Spec Spec
	Maps []*Map
	// Result is the final JSON document of the last run that ended, if any.
	Result json.RawMessage
	// Live is true when a driver holds the job: only Summary is known.
	Live bool
}

// Map is one Map of a job.
type Map struct {
	Seq  int
	Task string
	N    int
	// Tasks are every task's record; nil when the job was read with
	// ReadSummary from a journal that keeps Summary.
	Tasks []Task
	// Summary is the Map's numbers, kept as it ran; nil for journals of
	// older overcast versions (Stats then counts Tasks).
	Summary *MapSummary
	// Failures are the failed tasks (ReadSummary only).
	Failures []Failure
	Report   *MapReport // nil until the Map ended once
	// Window is the backend's window of invocations in flight over time,
	// in every run: when the Map started and at each change (read with
	// the tasks only; empty in journals of older overcast versions).
	Window []WindowSample
}

// WindowSample is the backend's window of invocations in flight from a
// time on, and the most it could grow to.
type WindowSample struct {
	Time              time.Time
	Window, MaxWindow int
}

// Read returns everything the journal holds about job id, every task's
// record included: it reads the whole file. For a job whose driver is
// alive it returns only the summary, with Live set.
func (s *Store) Read(id string) (*Job, error) {
	return s.read(id, true)
}

// ReadSummary returns what Read does but the tasks' records: each Map's
// Summary and Failures instead, which it reads without going over every
// task (journals of older overcast versions are read whole).
func (s *Store) ReadSummary(id string) (*Job, error) {
	return s.read(id, false)
}

func (s *Store) read(id string, tasks bool) (*Job, error) {
	db, err := s.openRead(id)
	if errors.Is(err, ErrBusy) {
		sum, err := s.liveSummary(id)
		if err != nil {
			return nil, err
		}
		return &Job{Summary: *sum, Live: true}, nil
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	j := &Job{}
	if err := db.View(func(tx *bolt.Tx) error { return j.read(tx, tasks) }); err != nil {
		return nil, fmt.Errorf("read journal of job %s: %w", id, err)
	}
	if j.State == Running {
		j.State = Stopped
	}
	return j, nil
}

func (j *Job) read(tx *bolt.Tx, tasks bool) error {
	jb := tx.Bucket(bucketJob)
	if err := getJSON(jb, keySpec, &j.Spec); err != nil {
		return err
	}
	if err := getJSON(jb, keyStatus, &j.Summary); err != nil {
		return err
	}
	if r := jb.Get(keyResult); r != nil {
		j.Result = append(json.RawMessage(nil), r...)
	}
	mb := tx.Bucket(bucketMaps)
	if mb == nil {
		return errors.New("missing maps")
	}
	return mb.ForEachBucket(func(k []byte) error {
		m, err := readMap(mb.Bucket(k), k, tasks)
		if err == nil {
			j.Maps = append(j.Maps, m)
		}
		return err
	})
}

func readMap(b *bolt.Bucket, key []byte, tasks bool) (*Map, error) {
	var meta mapMeta
	if err := getJSON(b, keyMeta, &meta); err != nil {
		return nil, err
	}
	seq, err := index(key, 1<<31)
	if err != nil {
		return nil, err
	}
	m := &Map{Seq: seq, Task: meta.Task, N: meta.N}
	if r := b.Get(keyReport); r != nil {
		m.Report = &MapReport{}
		if err := json.Unmarshal(r, m.Report); err != nil {
			return nil, err
		}
	}
	switch {
	case meta.Format != formatChunks:
		m.Tasks, err = readTasksV1(b, meta.N)
	case tasks:
		r := &tasksReplay{tasks: make([]Task, meta.N)}
		err = replay(b.Bucket(bucketLog), r.apply)
		m.Tasks, m.Window = r.tasks, r.window
	default:
		err = m.readSummary(b)
	}
	return m, err
}

// readSummary reads a format 2 Map's summary and failures.
func (m *Map) readSummary(b *bolt.Bucket) error {
	m.Summary = &MapSummary{Tasks: m.N}
	if v := b.Get(keySummary); v != nil {
		if err := json.Unmarshal(v, m.Summary); err != nil {
			return err
		}
	}
	fb := b.Bucket(bucketFailures)
	if fb == nil {
		return nil
	}
	return fb.ForEach(func(k, v []byte) error {
		var f Failure
		if err := json.Unmarshal(v, &f); err != nil {
			return err
		}
		m.Failures = append(m.Failures, f)
		return nil
	})
}

// Output returns the stored output of task i of Map seq of a job that no
// live driver holds. It reads the Map's whole log.
func (s *Store) Output(id string, seq, i int) ([]byte, error) {
	db, err := s.openRead(id)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var out []byte
	err = db.View(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		if mb := tx.Bucket(bucketMaps); mb != nil {
			b = mb.Bucket(u32(seq))
		}
		if b == nil {
			return fmt.Errorf("job %s has no map %d", id, seq)
		}
		if ob := b.Bucket(bucketOutputs); ob != nil { // an older overcast's journal
			if v := ob.Get(u32(i)); v != nil {
				out = append([]byte(nil), v...)
			}
			return nil
		}
		return replay(b.Bucket(bucketLog), func(e *event) {
			if e.kind == evFinished && e.i == i && out == nil {
				out = append([]byte{}, e.out...)
			}
		})
	})
	return out, err
}
