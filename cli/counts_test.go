package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countsJSON is what run --json and jobs show --json say of a job's
// attempts, in part.
type countsJSON struct {
	Tasks         int   `json:"tasks"`
	DoneTasks     int   `json:"done_tasks"`
	Retries       int64 `json:"retries"`
	Throttled     int64 `json:"throttled"`
	Backups       int64 `json:"backups"`
	BackupWins    int64 `json:"backup_wins"`
	ExtraAttempts int64 `json:"extra_attempts"`
	Cost          struct {
		Invocations       int64 `json:"invocations"`
		FailedInvocations int64 `json:"failed_invocations"`
		LosingInvocations int64 `json:"losing_invocations"`
		// The older names of the two above.
		RetryInvocations  int64 `json:"retry_invocations"`
		BackupInvocations int64 `json:"backup_invocations"`
	} `json:"cost"`
}

// TestAttemptCountsAgree runs a pi job on an OpenWhisk sim process that
// crashes some activations and slows others down (so that backup copies
// run), and ties together what run and jobs show say of its attempts:
// every attempt is a task's first, a retry or a backup copy's first, and
// was billed (the sim refuses none: no throttles, no 5xx); every billed
// attempt produced a task's output, failed, or lost to another copy; jobs
// show's attempts beyond each task's first are run's retries and backups,
// and its cost is run's.
func TestAttemptCountsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job against a sim process")
	}
	const auth = "0a1b2c3d-0000-4000-8000-000000000002:counts"
	host, simLog := startSimWith(t, auth, "--mode", "inproc", "--crash-rate", "0.15", "--straggler-rate", "0.05",
		"--straggler-slowdown", "50", "--seed", "7")
	dir := t.TempDir()
	props := filepath.Join(dir, "wskprops")
	if err := os.WriteFile(props, []byte("APIHOST="+host+"\nAUTH="+auth+"\nNAMESPACE=guest\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := homeEnv(t)
	env = append(env, "WSK_CONFIG_FILE="+props)
	out, stderr, code := binIn(t, env, "run", "pi", "--backend", "openwhisk", "--samples", "3e8", "--tasks", "300",
		"--concurrency", "20", "--max-attempts", "2", "--job-id", "counts", "--no-progress", "--json")
	if code > 1 || out == "" {
		t.Fatalf("run: exit %d\nstderr: %s\nsim log:\n%s", code, stderr, simLog())
	}
	run := decode[countsJSON](t, out, "run --json")
	shown, stderr, code := binIn(t, env, "jobs", "show", "counts", "--json")
	if code != 0 {
		t.Fatalf("jobs show: exit %d: %s", code, stderr)
	}
	show := decode[countsJSON](t, shown, "jobs show --json")
	t.Logf("run: %d tasks, %d done, %d retries, %d backups (%d won), %d throttled; %d invocations, %d failed, %d losing; jobs show: %d extra attempts",
		run.Tasks, run.DoneTasks, run.Retries, run.Backups, run.BackupWins, run.Throttled, run.Cost.Invocations,
		run.Cost.FailedInvocations, run.Cost.LosingInvocations, show.ExtraAttempts)
	if run.Throttled != 0 || run.Retries == 0 || run.Cost.FailedInvocations == 0 {
		t.Fatalf("the sim throttled %d or crashed nothing (%d retries): the counts below prove nothing", run.Throttled, run.Retries)
	}
	c := run.Cost
	if got := int64(run.Tasks) + run.Retries + run.Backups; c.Invocations != got {
		t.Errorf("%d invocations billed; want the %d tasks + %d retries + %d backups = %d", c.Invocations, run.Tasks, run.Retries, run.Backups, got)
	}
	if got := int64(run.DoneTasks) + c.FailedInvocations + c.LosingInvocations; c.Invocations != got {
		t.Errorf("%d invocations billed; want %d outputs + %d failed + %d losing = %d", c.Invocations, run.DoneTasks, c.FailedInvocations, c.LosingInvocations, got)
	}
	if show.ExtraAttempts != run.Retries+run.Backups {
		t.Errorf("jobs show counts %d attempts beyond each task's first; want run's %d retries + %d backups", show.ExtraAttempts, run.Retries, run.Backups)
	}
	for _, v := range []countsJSON{run, show} {
		if v.Cost.RetryInvocations != v.Cost.FailedInvocations || v.Cost.BackupInvocations != v.Cost.LosingInvocations {
			t.Errorf("the older cost fields retry_invocations %d and backup_invocations %d are not failed_invocations %d and losing_invocations %d",
				v.Cost.RetryInvocations, v.Cost.BackupInvocations, v.Cost.FailedInvocations, v.Cost.LosingInvocations)
		}
	}
	if show.Retries != show.ExtraAttempts {
		t.Errorf("jobs show's older field retries is %d, not extra_attempts %d", show.Retries, show.ExtraAttempts)
	}
	if show.Cost != run.Cost {
		t.Errorf("jobs show's cost %+v, run's %+v", show.Cost, run.Cost)
	}
	text, _, _ := binIn(t, env, "jobs", "show", "counts")
	for _, want := range []string{"beyond each task's first (retries and backup copies", "of which failed attempts"} {
		if !strings.Contains(text, want) {
			t.Errorf("jobs show lacks %q:\n%s", want, text)
		}
	}
}
