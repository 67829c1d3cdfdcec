package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/overcast-sc/overcast"
)

// Recorder is the journal of one job: an overcast.Journal for its Maps.
// Its file is created (or, for a job id already in the store, reopened) when
// the first Map starts, so a run that fails before running anything leaves
// no trace. End records the outcome and closes the file.
type Recorder struct {
	store *Store
	spec  Spec

	mu    sync.Mutex
	w     *writer
	err   error // the file could not be opened
	ended bool
}

var _ overcast.Journal = (*Recorder)(nil)

// Record returns the Recorder of the job spec describes. The spec's ID must
// be valid (see ValidID).
func (s *Store) Record(spec Spec) (*Recorder, error) {
	if err := ValidID(spec.ID); err != nil {
		return nil, err
	}
	return &Recorder{store: s, spec: spec}, nil
}

// Job opens the record of Map seq of the job. When the job's journal already
// has that Map (a resumed job), task and n must match it, and the tasks it
// finished are reported by the JobLog's Completed.
func (r *Recorder) Job(id string, seq int, task string, n int) (overcast.JobLog, error) {
	if id != r.spec.ID {
		return nil, fmt.Errorf("journal of job %s asked for job %s", r.spec.ID, id)
	}
	w, err := r.writer()
	if err != nil {
		return nil, err
	}
	return w.openMap(seq, task, n)
}

func (r *Recorder) writer() (*writer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.ended:
		return nil, errors.New("journal: job already ended")
	case r.w != nil || r.err != nil:
		return r.w, r.err
	}
	r.w, r.err = r.open()
	return r.w, r.err
}

// open creates or reopens the job's file and starts its writer.
func (r *Recorder) open() (*writer, error) {
	id := r.spec.ID
	if err := os.MkdirAll(r.store.dir(id), 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	db, err := bolt.Open(r.store.path(id), 0o600, &bolt.Options{Timeout: openWait})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("journal: %w", ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: open job %s: %w", id, err)
	}
	sum, err := begin(db, &r.spec)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	return startWriter(db, r.store.dir(id), sum), nil
}

// begin writes the spec of a new job, or checks it against the one of an
// existing job, and counts a new run.
func begin(db *bolt.DB, spec *Spec) (*Summary, error) {
	sum := &Summary{ID: spec.ID, Workload: spec.Workload, Backend: spec.Backend, Started: spec.Started}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketJob)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketMaps); err != nil {
			return err
		}
		if old := b.Get(keySpec); old != nil {
			if err := sameSpec(old, spec); err != nil {
				return err
			}
			if err := getJSON(b, keyStatus, sum); err != nil {
				return err
			}
		} else if err := putJSON(b, keySpec, spec); err != nil {
			return err
		}
		sum.Runs++
		sum.State, sum.Updated = Running, time.Now()
		b.Delete(keyResult)
		return putJSON(b, keyStatus, sum)
	})
	return sum, err
}

// sameSpec refuses to continue a job with a different command: its
// journaled outputs would not be this run's.
// tuning are the run flags that change how a job runs, not what it
// computes: a job may be continued with other values of them. The storage
// is compared apart (Spec.Storage), as it may come from the environment.
var tuning = map[string]bool{"concurrency": true, "timeout": true, "max-attempts": true,
	"retry-task-errors": true, "no-progress": true, "no-deploy": true, "workers": true,
	"skip-encoding": true, "collect": true, "storage": true}

// decisive returns the --name=value args that are not tuning flags.
func decisive(args []string) []string {
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !tuning[name] {
			out = append(out, a)
		}
	}
	return out
}

func sameSpec(old []byte, spec *Spec) error {
	var o Spec
	if err := json.Unmarshal(old, &o); err != nil {
		return err
	}
	if o.Workload != spec.Workload || !slices.Equal(decisive(o.Args), decisive(spec.Args)) {
		return fmt.Errorf("was started as %s %v, not %s %v (use overcast jobs resume, or a new job id)",
			o.Workload, o.Args, spec.Workload, spec.Args)
	}
	if o.Storage != "" && spec.Storage != "" && o.Storage != spec.Storage {
		return fmt.Errorf("keeps its data in storage %s, not %s (use overcast jobs resume, or a new job id)", o.Storage, spec.Storage)
	}
	return nil
}

// End records the job's outcome: its final state and result (a JSON
// document, may be nil), writes everything still queued and closes the
// file. It returns the first error the journal met. End on a Recorder that
// never opened its file does nothing.
func (r *Recorder) End(state State, result []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.w == nil {
		r.ended = true
		return nil
	}
	r.ended = true
	return r.w.end(state, result)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// Check reports early whether a run described by spec could be recorded:
// it fails when a live driver holds a job with that id (ErrBusy), or when
// the job exists with another command. The Recorder checks again.
func (s *Store) Check(spec Spec) error {
	db, err := s.openRead(spec.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case errors.Is(err, ErrBusy):
		return fmt.Errorf("job %s: %w", spec.ID, ErrBusy)
	case err != nil:
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJob)
		if b == nil || b.Get(keySpec) == nil {
			return nil
		}
		if err := sameSpec(b.Get(keySpec), &spec); err != nil {
			return fmt.Errorf("job %s %w", spec.ID, err)
		}
		return nil
	})
}
