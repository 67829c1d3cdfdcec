package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/overcast-sc/overcast/journal"
	"github.com/spf13/cobra"
)

func newJobsCleanCmd(store storeFunc, stdout io.Writer) *cobra.Command {
	var all bool
	var olderThan time.Duration
	cmd := &cobra.Command{
		Use:   "clean [--all | --older-than D | ID...]",
		Short: "Remove journals: of done jobs by default; never of a running job",
		Example: `  overcast jobs clean                 # remove the jobs that are done
  overcast jobs clean --older-than 72h  # and any other not running, older than 3 days
  overcast jobs clean --all             # every job not running`,
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
			if len(ids) == 0 {
				if ids, err = cleanable(st, all, olderThan); err != nil {
					return err
				}
			}
			return removeJobs(st, ids, stdout)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every job that is not running")
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "remove jobs not running and last updated longer ago than this, e.g. 72h")
	return cmd
}

// cleanable returns the jobs clean removes without ids: done jobs, or with
// all every job not running, or with olderThan those not running and not
// updated for that long.
func cleanable(st *journal.Store, all bool, olderThan time.Duration) ([]string, error) {
	sums, err := st.List()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range sums {
		switch {
		case s.State == journal.Running:
		case all, olderThan > 0 && time.Since(s.Updated) > olderThan, olderThan == 0 && s.State == journal.Done:
			ids = append(ids, s.ID)
		}
	}
	return ids, nil
}

func removeJobs(st *journal.Store, ids []string, stdout io.Writer) error {
	var errs []error
	n := 0
	for _, id := range ids {
		if err := journal.ValidID(id); err != nil {
			return usagef("%v", err)
		}
		if err := st.Remove(id); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		fmt.Fprintf(stdout, "removed %s\n", id)
	}
	fmt.Fprintf(stdout, "removed %d job(s)\n", n)
	return errors.Join(errs...)
}
