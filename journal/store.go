// Package journal keeps a durable record of Overcast jobs, so that a job
// whose driver died can be listed, inspected and resumed.
//
// Each job lives in its own directory under a root (by default
// ~/.overcast/jobs): <root>/<id>/journal.db, a bbolt file holding the job's
// spec, every task's state, attempts, activation ids, output and timeline,
// and the run's final result. The driver that runs a job holds the file
// open, and with it bbolt's exclusive lock; a job whose file says it is
// running but whose lock is free lost its driver and reads as Stopped.
// While a job runs, <root>/<id>/status.json mirrors its Summary so that
// other processes can watch its progress.
//
// A Recorder is the overcast.Journal of one job. Writes are batched: its
// methods queue records and a writer goroutine commits them every 100 ms
// or 1,000 records, and at the end of every Map.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors of the package.
var (
	// ErrBusy means another live process holds the job's journal.
	ErrBusy = errors.New("the job is in use by another overcast process")
	// ErrNotFound means the store has no job with that id.
	ErrNotFound = errors.New("no such job")
)

const (
	dbName     = "journal.db"
	statusName = "status.json"
	// probeWait makes a lock probe fail at once when the lock is taken.
	probeWait = time.Millisecond
)

// openWait is how long a driver waits for a journal's lock: a reader may
// hold it for a moment.
var openWait = 2 * time.Second

// Store is a directory of job journals.
type Store struct {
	root string
}

// New returns the store of jobs under root. The directory is created when
// the first job is recorded.
func New(root string) *Store { return &Store{root: root} }

// DefaultRoot returns the default jobs directory: $OVERCAST_HOME/jobs when
// OVERCAST_HOME is set, ~/.overcast/jobs otherwise. It fails when neither
// OVERCAST_HOME nor a home directory is known.
func DefaultRoot() (string, error) {
	if h := os.Getenv("OVERCAST_HOME"); h != "" {
		return filepath.Join(h, "jobs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no journal directory: set OVERCAST_HOME (%w)", err)
	}
	return filepath.Join(home, ".overcast", "jobs"), nil
}

// Root returns the store's directory.
func (s *Store) Root() string { return s.root }

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidID reports whether id can name a job: 1 to 128 letters, digits,
// dots, dashes and underscores, not starting with a dot or dash.
func ValidID(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("invalid job id %q: use up to 128 letters, digits, '.', '-' and '_'", id)
	}
	return nil
}

func (s *Store) dir(id string) string  { return filepath.Join(s.root, id) }
func (s *Store) path(id string) string { return filepath.Join(s.root, id, dbName) }

// openRead opens a job's journal for reading, failing with ErrBusy when a
// live driver holds it and ErrNotFound when there is none.
func (s *Store) openRead(id string) (*bolt.DB, error) {
	if err := ValidID(id); err != nil {
		return nil, err
	}
	p := s.path(id)
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	db, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true, Timeout: probeWait})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrBusy
	}
	if err != nil {
		return nil, fmt.Errorf("open journal of job %s: %w", id, err)
	}
	return db, nil
}

// Summary returns a job's summary. A job whose driver is alive is read from
// its status file; any other from its journal, with Running turned into
// Stopped.
func (s *Store) Summary(id string) (*Summary, error) {
	db, err := s.openRead(id)
	if errors.Is(err, ErrBusy) {
		return s.liveSummary(id)
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var sum Summary
	err = db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketJob), keyStatus, &sum)
	})
	if err != nil {
		return nil, fmt.Errorf("read journal of job %s: %w", id, err)
	}
	if sum.State == Running {
		sum.State = Stopped
	}
	return &sum, nil
}

func (s *Store) liveSummary(id string) (*Summary, error) {
	var sum Summary
	b, err := os.ReadFile(filepath.Join(s.dir(id), statusName))
	if err == nil {
		err = json.Unmarshal(b, &sum)
	}
	if err != nil {
		// The driver is starting and has not written its status yet.
		sum = Summary{ID: id}
	}
	sum.State = Running
	return &sum, nil
}

// List returns the summaries of every job, oldest first. Jobs whose
// journal cannot be read are left out and reported in the error, which is
// nil when every job was read.
func (s *Store) List() ([]*Summary, error) {
	sums, errs := s.ListWith(s.Summary)
	return sums, errors.Join(errs...)
}

// ListWith returns the summaries read reads of every job, oldest first,
// and one error for each job it could not read; jobs it finds gone
// (ErrNotFound) are left out.
func (s *Store) ListWith(read func(id string) (*Summary, error)) ([]*Summary, []error) {
	ents, err := os.ReadDir(s.root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{fmt.Errorf("list jobs: %w", err)}
	}
	var sums []*Summary
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || ValidID(e.Name()) != nil {
			continue
		}
		sum, err := read(e.Name())
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			errs = append(errs, err)
		default:
			sums = append(sums, sum)
		}
	}
	sort.SliceStable(sums, func(a, b int) bool {
		if !sums[a].Started.Equal(sums[b].Started) {
			return sums[a].Started.Before(sums[b].Started)
		}
		return sums[a].ID < sums[b].ID
	})
	return sums, errs
}

// Remove deletes a job's journal. It fails with ErrBusy when a live driver
// holds the job.
func (s *Store) Remove(id string) error {
	if err := ValidID(id); err != nil {
		return err
	}
	dir := s.dir(id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	p := s.path(id)
	if _, err := os.Stat(p); err == nil {
		// Hold the lock while removing, so no driver starts on it meanwhile.
		db, err := bolt.Open(p, 0o600, &bolt.Options{Timeout: probeWait})
		if errors.Is(err, berrors.ErrTimeout) {
			return fmt.Errorf("job %s: %w", id, ErrBusy)
		}
		if err == nil {
			defer db.Close()
		}
	}
	return os.RemoveAll(dir)
}

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	if b == nil {
		return errors.New("missing bucket")
	}
	data := b.Get(key)
	if data == nil {
		return fmt.Errorf("missing %s", key)
	}
	return json.Unmarshal(data, v)
}
