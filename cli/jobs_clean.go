package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/storage"
	"github.com/spf13/cobra"
)

func newJobsCleanCmd(a *app, store storeFunc) *cobra.Command {
	stdout := a.stdout
	var all bool
	var olderThan time.Duration
	cmd := &cobra.Command{
		Use:   "clean [--all] [--older-than D] | clean ID...",
		Short: "Remove journals and the jobs' data in storage: of done jobs by default; never of a running job",
		Long: `clean removes the journals of the given jobs, or without ids of the jobs
that are done. --all widens that to every job not running (failed, stopped
and interrupted ones too); --older-than D narrows it to jobs last updated
longer ago than D, of any state but running. Both together remove every
job not running that is older than D. A running job is never removed.
A job's data in its storage (under overcast/<id>/) goes first.`,
		Example: `  overcast jobs clean                         # remove the jobs that are done
  overcast jobs clean --older-than 72h        # every job not running, last updated over 3 days ago
  overcast jobs clean --all --older-than 72h  # the same
  overcast jobs clean --all                   # every job not running`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, ids []string) error {
			if len(ids) > 0 && (all || olderThan > 0) {
				return usagef("give job ids or --all/--older-than, not both")
			}
			if olderThan < 0 {
				return usagef("--older-than must not be negative, got %v", olderThan)
			}
			st, err := store()
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				return removeJobs(cmd.Context(), st, ids, stdout)
			}
			sums, errs := readableJobs(st)
			if err := removeJobs(cmd.Context(), st, selectClean(sums, all, olderThan, time.Now()), stdout); err != nil {
				return err
			}
			return a.reportUnreadable(errs)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every job that is not running, not only done ones")
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "only jobs not running and last updated longer ago than this, e.g. 72h (with or without --all)")
	return cmd
}

// selectClean returns the ids of the jobs to remove: never a running one;
// with olderThan, every other last updated longer ago than that (all or
// not); else with all every other; else the done ones.
func selectClean(sums []*journal.Summary, all bool, olderThan time.Duration, now time.Time) []string {
	var ids []string
	for _, s := range sums {
		var remove bool
		switch {
		case s.State == journal.Running:
		case olderThan > 0:
			remove = now.Sub(s.Updated) > olderThan
		default:
			remove = all || s.State == journal.Done
		}
		if remove {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func removeJobs(ctx context.Context, st *journal.Store, ids []string, stdout io.Writer) error {
	var errs []error
	n := 0
	for _, id := range ids {
		if err := journal.ValidID(id); err != nil {
			return usagef("%v", err)
		}
		if err := removeJobData(ctx, st, id, stdout); err != nil {
			errs = append(errs, err) // keep the journal: it names the storage
			continue
		}
		err := removeJob(st, id)
		if errors.Is(err, journal.ErrNotFound) {
			err = noJob(st, id)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		fmt.Fprintf(stdout, "removed %s\n", id)
	}
	fmt.Fprintf(stdout, "removed %s\n", plural(n, "job", "jobs"))
	return errors.Join(errs...)
}

// removeJob removes a job's journal. A damaged one, which no driver can
// hold (it could not open it), goes with its directory: the store's Remove
// would first open it to take its lock.
func removeJob(st *journal.Store, id string) error {
	var de *damagedError
	if _, err := readSummary(st, id); errors.As(err, &de) {
		return os.RemoveAll(filepath.Join(st.Root(), id))
	}
	return st.Remove(id)
}

// removeJobData deletes the objects a job keeps in its storage (under
// overcast/<id>/), when its journal names one. A job whose driver is alive
// is left alone, and so is a missing or damaged journal: removeJob deals
// with those next.
func removeJobData(ctx context.Context, st *journal.Store, id string, stdout io.Writer) error {
	j, err := readJob(st, id, false)
	if err != nil || j.Live || j.Spec.Storage == "" {
		return nil
	}
	b, err := storage.Open(ctx, j.Spec.Storage)
	if err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	defer b.Close()
	n, err := b.RemoveAll(ctx, storage.JobPrefix(id))
	if err != nil {
		return fmt.Errorf("job %s: clean its data: %w", id, err)
	}
	if n > 0 {
		fmt.Fprintf(stdout, "removed %d object(s) of %s from %s\n", n, id, storage.Redact(j.Spec.Storage))
	}
	return nil
}
