package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
)

// openJournal opens the journal of one run and returns a function to call
// with the run's outcome when it ends. Without a home directory (or with
// OVERCAST_JOURNAL=off) the run goes unrecorded.
func (a *app) openJournal(spec *JobSpec) (overcast.Journal, func(result any), error) {
	if err := journal.ValidID(spec.ID); err != nil {
		return nil, nil, usagef("--job-id: %v", err)
	}
	if os.Getenv("OVERCAST_JOURNAL") == "off" {
		return nil, nil, nil
	}
	root, err := a.jobsRoot("")
	if err != nil {
		a.printf("warning: job not journaled: %v", err)
		return nil, nil, nil
	}
	st := journal.New(root)
	js := journal.Spec{ID: spec.ID, Workload: spec.Workload, Backend: spec.Backend, Args: spec.Args, Started: spec.Started.UTC(), Storage: spec.Storage}
	var de *damagedError
	if _, err := readSummary(st, spec.ID); errors.As(err, &de) {
		return nil, nil, err
	}
	if err := st.Check(js); err != nil {
		return nil, nil, err
	}
	rec, err := st.Record(js)
	if err != nil {
		return nil, nil, err
	}
	done := func(result any) {
		if err := endJournal(rec, result); err != nil {
			a.printf("warning: journal: %s", oneLine(err.Error()))
		}
	}
	return rec, done, nil
}

// endJournal stores a run's result and its state.
func endJournal(rec *journal.Recorder, result any) error {
	data, err := json.Marshal(result)
	if err != nil {
		return err
	}
	state, err := resultState(data)
	if err != nil {
		return err
	}
	return rec.End(state, data)
}

// resultState is the state of a job whose run ended with result data.
func resultState(data []byte) (journal.State, error) {
	var r struct {
		Complete, Interrupted bool
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return "", err
	}
	state := journal.Failed
	switch {
	case r.Complete:
		state = journal.Done
	case r.Interrupted:
		state = journal.Interrupted
	}
	return state, nil
}

func newJobsCmd(a *app) *cobra.Command {
	stdout, stderr := a.stdout, a.stderr
	var dir string
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List, inspect, resume and clean up journaled jobs, and read their logs",
		Long: `Every run is journaled under $OVERCAST_HOME/jobs (default ~/.overcast/jobs).
A job whose driver died shows as "stopped": jobs resume runs only its
unfinished tasks and produces the same answer.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&dir, "journal-dir", "", "jobs directory (default $OVERCAST_HOME/jobs or ~/.overcast/jobs)")
	store := func() (*journal.Store, error) {
		root, err := a.jobsRoot(dir)
		if err != nil {
			return nil, err
		}
		return journal.New(root), nil
	}
	cmd.AddCommand(newJobsListCmd(a, store), newJobsShowCmd(a, store),
		newJobsResumeCmd(a, store), newJobsCleanCmd(a, store), newJobsPlotCmd(store, stdout),
		newJobsLogsCmd(a, store))
	cmd.AddCommand(newJobsReportCmd(store, stdout), newJobsServeCmd(store, stdout, stderr))
	return cmd
}

type storeFunc func() (*journal.Store, error)

func newJobsListCmd(a *app, store storeFunc) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the journaled jobs, oldest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := store()
			if err != nil {
				return err
			}
			sums, errs := readableJobs(st)
			if sums == nil {
				sums = []*journal.Summary{}
			}
			if err := printList(a.stdout, sums, asJSON); err != nil {
				return err
			}
			return a.reportUnreadable(errs)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func printList(w io.Writer, sums []*journal.Summary, asJSON bool) error {
	if asJSON {
		return printIndented(w, sums)
	}
	if len(sums) == 0 {
		_, err := fmt.Fprintln(w, "no jobs")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKLOAD\tBACKEND\tSTATE\tDONE\tFAILED\tSTARTED\tWALL")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\n", s.ID, s.Workload, s.Backend, s.State,
			s.DoneTasks, s.Tasks, s.FailedTasks, jobTime(s.Started), jobWall(s.WallSeconds))
	}
	return tw.Flush()
}

func jobTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func jobWall(s float64) string {
	if s <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", s)
}

func printIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// resumeOutput are jobs resume's flags for how the run it starts prints,
// passed on to it as run's flags of the same names.
type resumeOutput struct {
	json, noProgress bool
}

func (o resumeOutput) args() []string {
	var args []string
	if o.json {
		args = append(args, "--json")
	}
	if o.noProgress {
		args = append(args, "--no-progress")
	}
	return args
}

func newJobsResumeCmd(a *app, store storeFunc) *cobra.Command {
	var out resumeOutput
	cmd := &cobra.Command{
		Use:   "resume ID",
		Short: "Finish a stopped job: run only the tasks it did not finish",
		Args:  exactlyOneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store()
			if err != nil {
				return err
			}
			return a.resumeJob(cmd.Context(), st, args[0], out)
		},
	}
	cmd.Flags().BoolVar(&out.json, "json", false, "print one JSON object, as run does")
	cmd.Flags().BoolVar(&out.noProgress, "no-progress", false, "never draw a progress bar, as run does")
	return cmd
}

func exactlyOneID(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s needs one job id (see %s jobs list)", cmd.CommandPath(), cmd.Root().Name())
	}
	return nil
}

// resumeJob runs a job's stored command again under its id, so that only
// its unfinished tasks run. A job already done prints its stored result.
func (a *app) resumeJob(ctx context.Context, st *journal.Store, id string, out resumeOutput) error {
	j, err := readJob(st, id, false)
	if err != nil {
		return err
	}
	switch {
	case j.Live:
		return fmt.Errorf("job %s is running: its driver is alive", id)
	case j.State == journal.Done && j.Result != nil:
		return printStoredResult(a.stdout, j, out.json)
	}
	// The run is an invocation of its own, in the job's jobs directory.
	run := &app{cli: a.cli, name: a.name, stdout: a.stdout, stderr: a.stderr, resumeDir: st.Root()}
	if code := a.cli.run(ctx, run, resumeArgs(j, out.args())); code != exitOK {
		return &exitError{code}
	}
	return nil
}

// resumeArgs is the command line that resumes a job: its recorded one,
// under its id, with its recorded storage, and extra flags.
func resumeArgs(j *journal.Job, extra []string) []string {
	args := append([]string{"run", j.Spec.Workload}, j.Spec.Args...)
	args = append(args, "--job-id", j.Spec.ID)
	if j.Spec.Storage != "" && !hasFlag(j.Spec.Args, "storage") {
		// The job took its storage from the environment: keep it.
		args = append(args, "--storage", j.Spec.Storage)
	}
	return append(args, extra...)
}

// printStoredResult prints a finished job's result as run printed it
// (JSON), or a short summary of it.
func printStoredResult(w io.Writer, j *journal.Job, asJSON bool) error {
	var r resultJSON
	if err := json.Unmarshal(j.Result, &r); err != nil {
		return fmt.Errorf("job %s: stored result: %w", j.ID, err)
	}
	if asJSON {
		return printIndented(w, json.RawMessage(j.Result))
	}
	fmt.Fprintf(w, "job %s is already done: answer %v\n", j.ID, r.Answer)
	_, err := fmt.Fprintf(w, "tasks    %d: %d done, %d failed; wall %.3f s\n", r.Tasks, r.DoneTasks, r.FailedTasks, r.WallSeconds)
	return err
}
