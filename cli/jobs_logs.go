package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/journal"
)

// jobsLogsFlags are jobs logs' flags. It takes the backends' flags that
// say where the worker is, to add what the journal does not keep
// (credentials).
type jobsLogsFlags struct {
	task, mapSeq, attempt int
	json                  bool
	backends              backendFlags
}

func newJobsLogsCmd(a *app, store storeFunc) *cobra.Command {
	stdout := a.stdout
	f := jobsLogsFlags{backends: a.backendFlags()}
	cmd := &cobra.Command{
		Use:   "logs ID [--task N] [--attempt K]",
		Short: "Print the platform's logs of a job's failed tasks, or of one task's attempts",
		Long: `Logs prints what the platform kept of the attempts the journal recorded:
OpenWhisk's activation logs, fetched from the controller; Lambda's, read by
request id from the function's CloudWatch Logs group. Without --task it
shows the failed tasks. The backend's settings are those the job ran with;
give credentials (--auth) or other settings again to override them.`,
		Example: `  overcast jobs logs 20261130-0215-ab12
  overcast jobs logs 20261130-0215-ab12 --task 7 --attempt 2`,
		Args: exactlyOneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("task") {
				f.task = -1
			}
			return jobLogs(cmd.Context(), cmd.Flags(), st, args[0], &f, stdout)
		},
	}
	fs := cmd.Flags()
	fs.Var(newCount(&f.task, 0), "task", "only this task, by its index in the map (0 = the first; default: the failed tasks)")
	fs.Var(newCount(&f.mapSeq, 0), "map", "the map of --task, for jobs of several maps (0 = the first)")
	fs.Var(positive(&f.attempt, 0), "attempt", "only the K-th attempt the journal recorded an id for (1 is the first; default: every one); needs --task")
	fs.BoolVar(&f.json, "json", false, "print one JSON object")
	f.backends.add(fs, forUndeploy)
	return cmd
}

// taskLogs is the logs of one task's attempts.
type taskLogs struct {
	Map      int          `json:"map"`
	Index    int          `json:"index"`
	State    string       `json:"state"`
	Attempts int          `json:"attempts"`
	Error    string       `json:"error,omitempty"`
	Logs     []attemptLog `json:"attempt_logs"`
	// Note says why no attempt has logs.
	Note string `json:"note,omitempty"`
}

// attemptLog is the logs of one attempt.
type attemptLog struct {
	Attempt      int      `json:"attempt"`
	ActivationID string   `json:"activation_id"`
	Logs         []string `json:"logs"`
	Note         string   `json:"note,omitempty"`
}

// jobLogsJSON is what jobs logs --json prints.
type jobLogsJSON struct {
	Job     string     `json:"job"`
	Backend string     `json:"backend"`
	Tasks   []taskLogs `json:"tasks"`
}

// jobLogs prints the logs of the tasks of job id that f selects.
func jobLogs(ctx context.Context, fs *pflag.FlagSet, st *journal.Store, id string, f *jobsLogsFlags, w io.Writer) error {
	j, err := readJobForLogs(st, id)
	if err != nil {
		return err
	}
	sel, err := selectTasks(j, f)
	if err != nil {
		return err
	}
	out := &jobLogsJSON{Job: j.ID, Backend: j.Spec.Backend, Tasks: []taskLogs{}}
	if len(sel) > 0 {
		b, err := f.backends.openJob(ctx, fs, &j.Spec)
		if err != nil {
			return err
		}
		defer b.Close()
		for _, s := range sel {
			out.Tasks = append(out.Tasks, s.logs(ctx, b, j.Spec.Started, f.attempt))
		}
	}
	if f.json {
		return printIndented(w, out)
	}
	if len(sel) == 0 {
		_, err := fmt.Fprintf(w, "job %s has no failed tasks; see a task's logs with --task N\n", j.ID)
		return err
	}
	return printJobLogs(w, out)
}

// readJobForLogs reads a job that no driver holds; an unknown job is a
// usage error.
func readJobForLogs(st *journal.Store, id string) (*journal.Job, error) {
	if err := journal.ValidID(id); err != nil {
		return nil, usagef("%v", err)
	}
	j, err := st.Read(id)
	switch {
	case errors.Is(err, journal.ErrNotFound):
		return nil, noJob(st, id)
	case err != nil:
		return nil, err
	case j.Live:
		return nil, fmt.Errorf("job %s is running: its driver holds the journal; ask again when the run ends", id)
	}
	return j, nil
}

// selected is one task whose logs jobs logs prints.
type selected struct {
	seq, index int
	t          *journal.Task
}

// selectTasks returns the task --task and --map name, or the failed tasks.
func selectTasks(j *journal.Job, f *jobsLogsFlags) ([]selected, error) {
	if f.task < 0 {
		if f.attempt != 0 {
			return nil, usagef("--attempt needs --task")
		}
		var sel []selected
		for _, m := range j.Maps {
			for i := range m.Tasks {
				if m.Tasks[i].State == journal.TaskFailed {
					sel = append(sel, selected{m.Seq, i, &m.Tasks[i]})
				}
			}
		}
		return sel, nil
	}
	for _, m := range j.Maps {
		if m.Seq != f.mapSeq {
			continue
		}
		if f.task >= len(m.Tasks) {
			if len(m.Tasks) == 0 {
				return nil, usagef("job %s has no task %d: map %d has none", j.ID, f.task, m.Seq)
			}
			return nil, usagef("job %s has no task %d: map %d has tasks 0 to %d", j.ID, f.task, m.Seq, len(m.Tasks)-1)
		}
		t := &m.Tasks[f.task]
		if f.attempt > len(t.Activations) {
			return nil, usagef("task %d of job %s has no attempt %d: the journal holds the ids of %d", f.task, j.ID, f.attempt, len(t.Activations))
		}
		return []selected{{m.Seq, f.task, t}}, nil
	}
	return nil, usagef("job %s has no map %d", j.ID, f.mapSeq)
}

// openJob opens the backend a job ran on, with the settings it ran
// with where the command line does not give others.
func (b *backendFlags) openJob(ctx context.Context, fs *pflag.FlagSet, spec *journal.Spec) (*backend.Backend, error) {
	for _, a := range spec.Args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if fl := fs.Lookup(name); ok && fl != nil && !fl.Changed {
			if err := fs.Set(name, value); err != nil {
				return nil, fmt.Errorf("job %s's recorded --%s: %w", spec.ID, name, err)
			}
		}
	}
	name := spec.Backend
	if name == "" {
		name = "local"
	}
	return b.open(ctx, name)
}

// logsWaitPerTask bounds how long jobs logs waits for one task's logs.
const logsWaitPerTask = 30 * time.Second

// logs gathers the logs of the task's recorded attempts (only the k-th
// when k > 0), which started no earlier than since.
func (s selected) logs(ctx context.Context, b *backend.Backend, since time.Time, k int) taskLogs {
	ctx, cancel := context.WithTimeout(ctx, logsWaitPerTask)
	defer cancel()
	t := s.t
	tl := taskLogs{Map: s.seq, Index: s.index, State: taskState(t.State), Attempts: t.Attempts, Error: t.Error, Logs: []attemptLog{}}
	if len(t.Activations) == 0 {
		tl.Note = noIDNote(b)
		return tl
	}
	for i, id := range t.Activations {
		if k > 0 && i+1 != k {
			continue
		}
		lines, note := attemptLogs(ctx, b, id, since, nil)
		tl.Logs = append(tl.Logs, attemptLog{Attempt: i + 1, ActivationID: id, Logs: lines, Note: note})
	}
	return tl
}

// noIDNote says why a task whose attempts have no recorded id has no logs.
func noIDNote(b *backend.Backend) string {
	const none = "the journal holds no platform id of its attempts"
	switch loc := b.LogLocation(""); {
	case b.Name() == "local":
		return "the local backend keeps no logs"
	case loc != "":
		return none + "; " + loc
	}
	return none + ": the platform refused or lost them before running them"
}

func taskState(s string) string {
	if s == journal.TaskPending {
		return "pending"
	}
	return s
}

// printJobLogs prints the tasks' logs as text.
func printJobLogs(w io.Writer, out *jobLogsJSON) error {
	for n, tl := range out.Tasks {
		if n > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "task %d (map %d): %s after %s\n", tl.Index, tl.Map, tl.State, plural(tl.Attempts, "attempt", "attempts"))
		if tl.Error != "" {
			fmt.Fprintf(w, "error       %s\n", oneLine(tl.Error))
		}
		if tl.Note != "" {
			fmt.Fprintf(w, "logs        none: %s\n", tl.Note)
		}
		for _, a := range tl.Logs {
			fmt.Fprintf(w, "attempt %d, activation %s\n", a.Attempt, a.ActivationID)
			if err := printLogs(w, a.Logs, a.Note); err != nil {
				return err
			}
		}
	}
	return nil
}
