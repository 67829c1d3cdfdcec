package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
)

// outcome is a finished (or stopped) run of a job: its result, and the
// run's figures.
type outcome struct {
	*Result
	workload, backend string
	// err is the job's error when it stopped part way.
	err         error
	interrupted bool
	// result caches toJSON's answer: a job's records are gone over once.
	result *resultJSON
}

type failureJSON struct {
	Index    int    `json:"index"`
	Attempts int    `json:"attempts"`
	Code     string `json:"code"`
	Error    string `json:"error"`
}

type resultJSON struct {
	JobID       string         `json:"job_id"`
	Workload    string         `json:"workload"`
	Backend     string         `json:"backend"`
	Answer      any            `json:"answer"`
	Check       *Check         `json:"check"`
	Complete    bool           `json:"complete"`
	Interrupted bool           `json:"interrupted,omitempty"`
	Tasks       int            `json:"tasks"`
	DoneTasks   int            `json:"done_tasks"`
	FailedTasks int            `json:"failed_tasks"`
	Failures    []failureJSON  `json:"failures"`
	Retries     int64          `json:"retries"`
	Throttled   int64          `json:"throttled"`
	ColdStarts  int            `json:"cold_starts"`
	Concurrency int            `json:"concurrency"`
	WallSeconds float64        `json:"wall_seconds"`
	Throughput  float64        `json:"throughput"`
	Unit        string         `json:"throughput_unit"`
	Details     map[string]any `json:"details,omitempty"`
	Backups     int64          `json:"backups"`
	BackupWins  int64          `json:"backup_wins"`
	Cost        *costJSON      `json:"cost,omitempty"`
	Error       string         `json:"error,omitempty"`
	// ReadBytes and WrittenBytes are the bytes the tasks' attempts, every
	// one, read from and wrote to storage through package storage.
	ReadBytes    int64 `json:"read_bytes"`
	WrittenBytes int64 `json:"written_bytes"`
}

// costJSON is the job's billed use and what it costs (or would cost) on
// the priced platforms.
type costJSON struct {
	report.Usage
	// RetryInvocations, RetryGBSeconds, BackupInvocations and
	// BackupGBSeconds are the names Usage's failed and losing parts had
	// before they were named for what they count; kept, with the same
	// values, for scripts that read them.
	RetryInvocations  int64          `json:"retry_invocations"`
	RetryGBSeconds    float64        `json:"retry_gb_seconds"`
	BackupInvocations int64          `json:"backup_invocations"`
	BackupGBSeconds   float64        `json:"backup_gb_seconds"`
	Estimates         []estimateJSON `json:"estimates"`
}

// estimateJSON is a priced usage, also under its parts' older names.
type estimateJSON struct {
	report.Cost
	RetryUSD  float64 `json:"retry_usd"`
	BackupUSD float64 `json:"backup_usd"`
}

// costs returns the estimates as report.Costs.
func (c *costJSON) costs() []report.Cost {
	cs := make([]report.Cost, len(c.Estimates))
	for i, e := range c.Estimates {
		cs[i] = e.Cost
	}
	return cs
}

// newCostJSON prices u on every platform.
func newCostJSON(u report.Usage) *costJSON {
	c := &costJSON{Usage: u, RetryInvocations: u.FailedInvocations, RetryGBSeconds: u.FailedGBSeconds,
		BackupInvocations: u.LosingInvocations, BackupGBSeconds: u.LosingGBSeconds}
	for _, e := range report.Estimate(u, report.Prices) {
		c.Estimates = append(c.Estimates, estimateJSON{e, e.FailedUSD, e.LosingUSD})
	}
	return c
}

// assumedMemoryMB prices tasks whose platform reported no memory size.
const assumedMemoryMB = report.DefaultMemoryMB

func toJSON(o *outcome) *resultJSON {
	if o.result == nil {
		o.result = toJSONOnce(o)
	}
	return o.result
}

func toJSONOnce(o *outcome) *resultJSON {
	r := o.Report
	st := report.Summarize(r)
	answer := o.Answer
	if st.Done == 0 {
		answer = nil // nothing was computed: no answer, not a zero
	}
	if f, ok := answer.(float64); ok && !finite(f) {
		answer = nil // JSON has no NaN
	}
	partial := o.err != nil
	work, unit := o.Work, o.Unit
	if unit == "" {
		work, unit = float64(st.Done), "tasks"
	}
	j := &resultJSON{JobID: r.Job, Workload: o.workload, Backend: o.backend, Answer: answer,
		Check: o.Check.sane(partial), Complete: o.err == nil, Interrupted: o.interrupted, Tasks: r.Tasks,
		DoneTasks: st.Done, FailedTasks: len(r.Failed), Retries: r.Retries, Throttled: r.Throttles,
		ColdStarts: st.Cold, Concurrency: r.Concurrency, WallSeconds: r.Wall().Seconds(),
		Unit: unit + "/s", Details: o.Details}
	if s := r.Wall().Seconds(); s > 0 {
		j.Throughput = work / s
	}
	if math.IsNaN(j.Throughput) || math.IsInf(j.Throughput, 0) {
		j.Throughput = 0
	}
	j.Backups, j.BackupWins = r.Backups, r.BackupWins
	j.ReadBytes, j.WrittenBytes = r.ReadBytes, r.WrittenBytes
	u := report.MeasureUsage(r, assumedMemoryMB)
	j.Cost = newCostJSON(u)
	if !hasColdStarts(o.backend) {
		j.ColdStarts = 0
	}
	j.Failures = []failureJSON{}
	for _, f := range r.Failed {
		j.Failures = append(j.Failures, failureJSON{f.Index, f.Attempts, f.Code.String(), failureText(f)})
	}
	if o.err != nil {
		j.Error = o.err.Error()
	}
	return j
}

func printJSON(w io.Writer, o *outcome) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(o))
}

// printHuman prints the answer and the job's figures; nothing when no task
// finished, as there is no answer then (see noAnswer).
func printHuman(w io.Writer, o *outcome) error {
	j := toJSON(o)
	if j.DoneTasks == 0 && j.Tasks > 0 {
		return nil
	}
	if !j.Complete {
		fmt.Fprintf(w, "PARTIAL (%d of %s done) ", j.DoneTasks, plural(j.Tasks, "task", "tasks"))
	}
	fmt.Fprintln(w, o.summaryLine())
	fmt.Fprintf(w, "job      %s on %s, up to %s in flight\n", j.JobID, j.Backend, plural(j.Concurrency, "task", "tasks"))
	fmt.Fprintf(w, "tasks    %d: %d done, %d failed, %s%s, %d throttled%s\n", j.Tasks, j.DoneTasks, j.FailedTasks,
		plural(j.Retries, "retry", "retries"), backupsText(j.Backups, j.BackupWins), j.Throttled, coldStarts(j.Backend, j.ColdStarts))
	fmt.Fprintf(w, "wall     %.3f s\n", j.WallSeconds)
	_, err := fmt.Fprintf(w, "rate     %.3g %s\n", j.Throughput, j.Unit)
	if j.ReadBytes != 0 || j.WrittenBytes != 0 {
		fmt.Fprintf(w, "storage  %s read, %s written by the tasks\n", bytesText(uint64(j.ReadBytes)), bytesText(uint64(j.WrittenBytes)))
	}
	printCost(w, j.Cost)
	return err
}

// backupsText is ", N backup copies (K won)" for a run that made any.
func backupsText(backups, wins int64) string {
	if backups == 0 {
		return ""
	}
	return fmt.Sprintf(", %s (%d won)", plural(backups, "backup copy", "backup copies"), wins)
}

// summaryLine is the result's summary, or "NAME: ANSWER" without one.
func (o *outcome) summaryLine() string {
	if o.Summary != "" {
		return o.Summary
	}
	b, err := json.Marshal(toJSON(o).Answer)
	if err != nil {
		return fmt.Sprintf("%s: %v", o.workload, o.Answer)
	}
	return fmt.Sprintf("%s: %s", o.workload, b)
}

// coldStarts is ", N cold starts" for a backend that has them, else "".
func coldStarts(backend string, n int) string {
	if !hasColdStarts(backend) {
		return ""
	}
	return ", " + plural(n, "cold start", "cold starts")
}

// noAnswer is the one line that replaces the answer of a job in which no
// task finished: why, from the most common failure.
func noAnswer(o *outcome) string {
	r := o.Report
	msg := fmt.Sprintf("%s: no task finished, so there is no answer (job %s)", o.workload, r.Job)
	var oe *overcast.OutageError
	if len(r.Failed) == 0 {
		switch {
		case o.interrupted:
			msg += ": interrupted before any task finished"
		case errors.As(o.err, &oe):
			msg += ": " + oe.Error()
		case o.err != nil:
			msg += ": " + o.err.Error()
		}
		return oneLine(msg)
	}
	text, n := commonFailure(r.Failed)
	msg += fmt.Sprintf(": %d of %s failed", len(r.Failed), plural(r.Tasks, "task", "tasks"))
	if n == len(r.Failed) {
		msg += ", all with: " + text
	} else {
		msg += fmt.Sprintf(", %d with: %s", n, text)
	}
	if o.interrupted {
		msg += "; the rest were interrupted"
	}
	return oneLine(msg)
}

// commonFailure returns the most common last error of failed tasks and how
// many tasks it ended; a tie goes to the error that reached the count first.
func commonFailure(failed []*overcast.TaskFailure) (string, int) {
	count := map[string]int{}
	best, most := "", 0
	for _, f := range failed {
		text := failureText(f)
		count[text]++
		if c := count[text]; c > most {
			best, most = text, c
		}
	}
	return best, most
}

// failureText is a failed task's last error; a failure without one (which
// the scheduler never makes) reads as unknown rather than panicking.
func failureText(f *overcast.TaskFailure) string {
	if f.Err == nil {
		return "unknown error"
	}
	return f.Err.Error()
}
