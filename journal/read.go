package journal

import (
	"encoding/json"
	"errors"
	"fmt"

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
	Seq    int
	Task   string
	Tasks  []Task
	Report *MapReport // nil until the Map ended once
}

// Read returns everything the journal holds about job id. For a job whose
// driver is alive it returns only the summary, with Live set.
func (s *Store) Read(id string) (*Job, error) {
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
	if err := db.View(j.read); err != nil {
		return nil, fmt.Errorf("read journal of job %s: %w", id, err)
	}
	if j.State == Running {
		j.State = Stopped
	}
	return j, nil
}

func (j *Job) read(tx *bolt.Tx) error {
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
		m, err := readMap(mb.Bucket(k), k)
		if err == nil {
			j.Maps = append(j.Maps, m)
		}
		return err
	})
}

func readMap(b *bolt.Bucket, key []byte) (*Map, error) {
	var meta mapMeta
	if err := getJSON(b, keyMeta, &meta); err != nil {
		return nil, err
	}
	seq, err := index(key, 1<<31)
	if err != nil {
		return nil, err
	}
	m := &Map{Seq: seq, Task: meta.Task, Tasks: make([]Task, meta.N)}
	if r := b.Get(keyReport); r != nil {
		m.Report = &MapReport{}
		if err := json.Unmarshal(r, m.Report); err != nil {
			return nil, err
		}
	}
	err = b.Bucket(bucketTasks).ForEach(func(k, v []byte) error {
		i, err := index(k, meta.N)
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &m.Tasks[i])
	})
	return m, err
}

// Output returns the stored output of task i of Map seq of a job that no
// live driver holds.
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
		if v := b.Bucket(bucketOutputs).Get(u32(i)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}
