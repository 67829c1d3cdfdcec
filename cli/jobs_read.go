package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/overcast-sc/overcast/journal"
)

// damagedError is a job whose journal cannot be read: an empty, truncated
// or overwritten file. Its Error is one line saying what can still be done.
type damagedError struct {
	id     string
	reason string
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("job %s: its journal is damaged (%s): it cannot be shown or resumed; remove it with: overcast jobs clean %s",
		e.id, e.reason, e.id)
}

// guarded calls read and turns what a damaged journal makes it do into an
// error: a fault on the file's memory map (a truncated file) or a panic of
// the database reading a page that is not one.
func guarded[T any](read func() (T, error)) (v T, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if _, fault := r.(interface{ Addr() uintptr }); fault {
			err = errors.New("the file is shorter than what it holds: truncated")
		} else if r != nil {
			err = fmt.Errorf("reading it failed: %v", r)
		}
	}()
	return read()
}

// emptyReason is the damage of a journal file with nothing in it.
const emptyReason = "the file is empty"

// journalError classifies an error reading job id's journal: a missing job
// and a file this user may not read keep their errors, any other is damage.
func journalError(st *journal.Store, id string, err error) error {
	switch {
	case err == nil, errors.Is(err, journal.ErrNotFound), errors.Is(err, fs.ErrPermission), errors.Is(err, journal.ErrBusy):
		return err
	}
	reason := oneLine(err.Error())
	for _, prefix := range []string{"open journal of job " + id + ": ", "read journal of job " + id + ": "} {
		reason = strings.TrimPrefix(reason, prefix)
	}
	if fi, serr := os.Stat(filepath.Join(st.Root(), id, "journal.db")); serr == nil && fi.Size() == 0 {
		reason = emptyReason
	}
	return &damagedError{id: id, reason: reason}
}

// readSummary returns job id's summary, or a *damagedError.
func readSummary(st *journal.Store, id string) (*journal.Summary, error) {
	return readSettled(st, id, func() (*journal.Summary, error) { return st.Summary(id) })
}

// readSettled reads job id's journal. A driver creates the file empty and
// writes its first pages a moment later, so an empty file is read again
// for up to half a second before it is called damaged.
func readSettled[T any](st *journal.Store, id string, read func() (T, error)) (T, error) {
	for try := 0; ; try++ {
		v, err := guarded(read)
		err = journalError(st, id, err)
		var d *damagedError
		if try == 5 || !errors.As(err, &d) || d.reason != emptyReason {
			return v, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readableJobs returns the summaries of the jobs that can be read, oldest
// first, and one error for each job that cannot.
func readableJobs(st *journal.Store) ([]*journal.Summary, []error) {
	return st.ListWith(func(id string) (*journal.Summary, error) { return readSummary(st, id) })
}

// readJob reads job id's journal: every task's record when tasks is set
// (jobs plot), else its summary, which takes a bounded time whatever the
// number of tasks (jobs show, jobs resume).
func readJob(st *journal.Store, id string, tasks bool) (*journal.Job, error) {
	if err := journal.ValidID(id); err != nil {
		return nil, usagef("%v", err)
	}
	read := st.ReadSummary
	if tasks {
		read = st.Read
	}
	j, err := readSettled(st, id, func() (*journal.Job, error) { return read(id) })
	if errors.Is(err, journal.ErrNotFound) {
		return nil, noJob(st, id)
	}
	return j, err
}

// noJobError says that the journal has no job of an id.
type noJobError struct{ id, root string }

func (e *noJobError) Error() string {
	return fmt.Sprintf("no job %s in %s (see overcast jobs list)", e.id, e.root)
}

// Unwrap returns journal.ErrNotFound.
func (e *noJobError) Unwrap() error { return journal.ErrNotFound }

// noJob is the error of every command given a job id the journal does not
// hold: a usage error (exit 2), as an unknown workload or task is.
func noJob(st *journal.Store, id string) error {
	return &usageError{&noJobError{id: id, root: st.Root()}}
}

// reportUnreadable prints one line per job that could not be read, and
// returns an exitError when there was any.
func (a *app) reportUnreadable(errs []error) error {
	for _, err := range errs {
		a.printf("%s", a.ourName(oneLine(err.Error())))
	}
	if len(errs) > 0 {
		return &exitError{exitFailed}
	}
	return nil
}
