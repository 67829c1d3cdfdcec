package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/storage"
	"github.com/spf13/cobra"
)

func newJobsShowCmd(a *app, store storeFunc) *cobra.Command {
	stdout := a.stdout
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a job: its command, state, failures and timing",
		Args:  exactlyOneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store()
			if err != nil {
				return err
			}
			j, err := readJob(st, args[0], false)
			if err != nil {
				return err
			}
			v := newJobJSON(j)
			if asJSON {
				return printIndented(stdout, v)
			}
			return printJob(stdout, v, a.name)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// jobJSON is jobs show's view of a job.
type jobJSON struct {
	journal.Summary
	Args         []string `json:"args"`
	Storage      string   `json:"storage,omitempty"`
	PendingTasks int      `json:"pending_tasks"`
	// ExtraAttempts counts the attempts beyond each task's first, over
	// every run: retries and backup copies (a run's retries and backups).
	ExtraAttempts int `json:"extra_attempts"`
	// Retries is ExtraAttempts under its older name, kept for scripts
	// that read it.
	Retries     int               `json:"retries"`
	ColdStarts  int               `json:"cold_starts"`
	TaskSeconds *taskSecondsJSON  `json:"task_seconds,omitempty"`
	Failures    []journal.Failure `json:"failures"`
	Cost        *costJSON         `json:"cost,omitempty"`
	Result      json.RawMessage   `json:"result,omitempty"`
}

type taskSecondsJSON struct {
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	Max    float64 `json:"max"`
}

func newJobJSON(j *journal.Job) *jobJSON {
	v := &jobJSON{Summary: j.Summary, Args: j.Spec.Args, Storage: storage.Redact(j.Spec.Storage), Result: j.Result, Failures: []journal.Failure{}}
	if j.Live {
		v.PendingTasks = v.Tasks - v.DoneTasks - v.FailedTasks
		return v
	}
	s := j.Stats()
	v.Tasks, v.DoneTasks, v.FailedTasks, v.PendingTasks = s.Tasks, s.Done, s.Failed, s.Pending
	v.ExtraAttempts, v.ColdStarts = s.Retries, s.ColdStarts
	v.Retries = v.ExtraAttempts
	if s.Failures != nil {
		v.Failures = s.Failures
	}
	if !hasColdStarts(v.Backend) {
		v.ColdStarts = 0
	}
	if s.Max > 0 {
		v.TaskSeconds = &taskSecondsJSON{s.Median.Seconds(), s.P95.Seconds(), s.Max.Seconds()}
	}
	v.Cost = jobCost(j)
	return v
}

// printJob prints a job; program is the name of the program whose
// commands show, resume and read its logs.
func printJob(w io.Writer, v *jobJSON, program string) error {
	fmt.Fprintf(w, "job      %s: %s\n", v.ID, v.State)
	if v.Workload == "" {
		_, err := fmt.Fprintln(w, "         (its driver is starting)")
		return err
	}
	if v.State != journal.Running {
		fmt.Fprintf(w, "command  %s run %s %s\n", program, v.Workload, strings.Join(v.Args, " "))
	}
	if v.Storage != "" {
		fmt.Fprintf(w, "storage  %s (its data under overcast/%s/)\n", v.Storage, v.ID)
	}
	fmt.Fprintf(w, "started  %s, %s, wall %s\n", jobTime(v.Started), plural(v.Runs, "run", "runs"), jobWall(v.WallSeconds))
	fmt.Fprintf(w, "tasks    %d: %d done, %d failed, %d unfinished\n", v.Tasks, v.DoneTasks, v.FailedTasks, v.PendingTasks)
	if v.State == journal.Running {
		_, err := fmt.Fprintln(w, "         (running: details when it ends)")
		return err
	}
	fmt.Fprintf(w, "attempts %d beyond each task's first (retries and backup copies, over every run)%s\n", v.ExtraAttempts, coldStarts(v.Backend, v.ColdStarts))
	if t := v.TaskSeconds; t != nil {
		fmt.Fprintf(w, "timing   task median %.3f s, p95 %.3f s, max %.3f s\n", t.Median, t.P95, t.Max)
	}
	if v.Cost != nil {
		printCost(w, v.Cost)
	}
	for k, f := range v.Failures {
		if k == maxShownFailures {
			fmt.Fprintf(w, "         and %s more failed (see --json)\n", plural(len(v.Failures)-k, "task", "tasks"))
			break
		}
		fmt.Fprintf(w, "failed   task %d (map %d): %s, %s: %s\n", f.Index, f.Map, plural(f.Attempts, "attempt", "attempts"), f.Code, oneLine(f.Error))
	}
	if len(v.Failures) > 0 {
		fmt.Fprintf(w, "logs     %s jobs logs %s\n", program, v.ID)
	}
	if v.State.Resumable() {
		fmt.Fprintf(w, "resume   %s jobs resume %s\n", program, v.ID)
	}
	return nil
}

const maxShownFailures = 20
