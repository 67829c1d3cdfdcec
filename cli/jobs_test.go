package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/journal"
)

// Other tests of the package run the binary with the user's environment:
// keep them from journaling into the user's home.
func init() {
	os.Setenv("OVERCAST_JOURNAL", "off")
}

// binIn runs the binary with the given extra environment and returns
// stdout, stderr and the exit code.
func binIn(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	return execBin(t, append([]string{"OVERCAST_JOURNAL="}, env...), args...)
}

// homeEnv returns a fresh OVERCAST_HOME for one test, and its jobs store.
func homeEnv(t *testing.T) ([]string, *journal.Store) {
	home := t.TempDir()
	return []string{"OVERCAST_HOME=" + home}, journal.New(filepath.Join(home, "jobs"))
}

func decode[T any](t *testing.T, out, what string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: not JSON (%v):\n%s", what, err, out)
	}
	return v
}

func listJobs(t *testing.T, env []string) []journal.Summary {
	t.Helper()
	out, stderr, code := binIn(t, env, "jobs", "list", "--json")
	if code != 0 {
		t.Fatalf("jobs list: exit %d: %s", code, stderr)
	}
	return decode[[]journal.Summary](t, out, "jobs list --json")
}

func TestRunIsJournaled(t *testing.T) {
	env, _ := homeEnv(t)
	if got := listJobs(t, env); len(got) != 0 {
		t.Fatalf("fresh home lists %+v", got)
	}
	out, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e7", "--tasks", "20", "--json")
	r := decode[result](t, out, "run --json")
	if code != 0 || r.JobID == "" {
		t.Fatalf("run: exit %d, %+v, %s", code, r, stderr)
	}
	_, _, code = binIn(t, env, "run", "primes", "--to", "1e6", "--tasks", "3", "--job-id", "my-primes")
	if code != 0 {
		t.Fatalf("run --job-id: exit %d", code)
	}
	_, stderr, code = binIn(t, env, "run", "primes", "--to", "1e6", "--tasks", "4", "--job-id", "my-primes")
	if code != 1 || !strings.Contains(stderr, "was started as primes [--tasks=3 --to=1000000]") {
		t.Fatalf("run with a used job id: exit %d, %s", code, stderr)
	}
	jobs := listJobs(t, env)
	if len(jobs) != 2 {
		t.Fatalf("want 2 jobs, got %+v", jobs)
	}
	want := []journal.Summary{
		{ID: r.JobID, Workload: "pi", Backend: "local", State: journal.Done, Tasks: 20, DoneTasks: 20},
		{ID: "my-primes", Workload: "primes", Backend: "local", State: journal.Done, Tasks: 3, DoneTasks: 3},
	}
	for i, w := range want {
		g := jobs[i]
		if g.ID != w.ID || g.Workload != w.Workload || g.Backend != w.Backend || g.State != w.State ||
			g.Tasks != w.Tasks || g.DoneTasks != w.DoneTasks || g.FailedTasks != 0 || g.WallSeconds <= 0 || g.Runs != 1 {
			t.Errorf("job %d: got %+v, want %+v", i, g, w)
		}
	}
	out, _, code = binIn(t, env, "jobs", "list")
	if code != 0 || !strings.Contains(out, r.JobID) || !strings.Contains(out, "my-primes") {
		t.Errorf("jobs list: exit %d:\n%s", code, out)
	}
	out, _, code = binIn(t, env, "jobs", "show", "my-primes")
	for _, s := range []string{"done", "--tasks=3 --to=1000000", "3 done, 0 failed", "median"} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("jobs show lacks %q (exit %d):\n%s", s, code, out)
		}
	}
}

func TestJobsShowNamesFailedTasks(t *testing.T) {
	env, _ := homeEnv(t)
	_, _, code := binIn(t, env, "run", "pi", "--samples", "1e12", "--tasks", "4", "--timeout", "1ms", "--job-id", "doomed")
	if code != 1 {
		t.Fatalf("failing run: exit %d", code)
	}
	out, _, code := binIn(t, env, "jobs", "show", "doomed", "--json")
	v := decode[jobJSON](t, out, "jobs show --json")
	if code != 0 || v.State != journal.Failed || v.FailedTasks != 4 || len(v.Failures) != 4 || v.Result == nil {
		t.Fatalf("exit %d, %+v", code, v)
	}
	for i, f := range v.Failures {
		if f.Index != i || f.Attempts != 1 || f.Code == "" || !strings.Contains(f.Error, "deadline exceeded") {
			t.Errorf("failure %d: %+v", i, f)
		}
	}
	// Each task ran until its time limit: four billed attempts, all failed.
	if c := v.Cost; c == nil || c.Invocations != 4 || c.FailedInvocations != 4 || c.GBSeconds <= 0 ||
		c.FailedGBSeconds != c.GBSeconds || c.LosingInvocations != 0 || c.Estimates[0].FailedUSD != c.Estimates[0].USD {
		t.Errorf("cost %+v; want 4 billed attempts, all retries", c)
	}
	out, _, _ = binIn(t, env, "jobs", "show", "doomed")
	for _, s := range []string{"failed   task 0 (map 0)", "failed   task 3 (map 0)", "deadline exceeded", "jobs resume doomed", "logs     overcast jobs logs doomed\n",
		"of which failed attempts"} {
		if !strings.Contains(out, s) {
			t.Errorf("jobs show lacks %q:\n%s", s, out)
		}
	}
}

func TestJobsErrors(t *testing.T) {
	env, _ := homeEnv(t)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		// An unknown job is a usage error, whichever command meets it.
		{[]string{"jobs", "show", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "resume", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "plot", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "report", "nope", "--output", "r.html"}, 2, "no job nope in "},
		{[]string{"jobs", "serve", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "logs", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "clean", "nope"}, 2, "no job nope in "},
		{[]string{"jobs", "resume"}, 2, "one job id"},
		{[]string{"jobs", "show", "../etc"}, 2, "invalid job id"},
		{[]string{"run", "pi", "--job-id", "a/b"}, 2, "invalid job id"},
		{[]string{"jobs", "clean", "x", "--all"}, 2, "not both"},
	}
	for _, tt := range tests {
		stdout, stderr, code := binIn(t, env, tt.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != tt.code || len(lines) != 1 || !strings.Contains(stderr, tt.msg) {
			t.Errorf("overcast %v: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", tt.args, code, stdout, stderr, tt.code, tt.msg)
		}
	}
}

func TestNoHomeRunsUnjournaled(t *testing.T) {
	out, stderr, code := binIn(t, []string{"HOME=", "OVERCAST_HOME="}, "run", "pi", "--samples", "1e6", "--tasks", "2", "--json")
	if r := decode[result](t, out, "run"); code != 0 || r.Tasks != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "not journaled") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestResumeOfDoneJobPrintsItsResult(t *testing.T) {
	env, _ := homeEnv(t)
	run, _, code := binIn(t, env, "run", "pi", "--samples", "1e7", "--tasks", "10", "--job-id", "fin", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	again, stderr, code := binIn(t, env, "jobs", "resume", "fin", "--json")
	if code != 0 || again != run {
		t.Fatalf("resume of a done job: exit %d, stderr %s\nrun printed:\n%s\nresume printed:\n%s", code, stderr, run, again)
	}
}

// startRun starts a run in the background; exited is closed when it has
// exited (read it, not cmd.ProcessState, which the waiting goroutine sets).
func startRun(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, stderr *bytes.Buffer, exited <-chan struct{}) {
	t.Helper()
	cmd = exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), append([]string{"OVERCAST_JOURNAL="}, env...)...)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return cmd, stderr, done
}

// hasExited reports whether exited is closed.
func hasExited(exited <-chan struct{}) bool {
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// waitDone polls jobs list until job id has at least n done tasks, and
// fails when the job is no longer running or after a minute.
func waitDone(t *testing.T, env []string, id string, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, j := range listJobs(t, env) {
			if j.ID != id {
				continue
			}
			if j.State != journal.Running {
				t.Fatalf("job %s is %s with %d done tasks before the test could stop it", id, j.State, j.DoneTasks)
			}
			if j.DoneTasks >= n {
				return
			}
		}
	}
	t.Fatalf("job %s never reached %d done tasks", id, n)
}

// TestResumeAfterKill kills the driver of a pi job at about half way,
// resumes it, and checks that the answer is exactly an uninterrupted run's
// and that no task the journal had as finished ran again.
func TestResumeAfterKill(t *testing.T) {
	const tasks = 400
	env, st := homeEnv(t)
	job := []string{"run", "pi", "--samples", "4e9", "--tasks", "400", "--seed", "7"}
	cmd, _, exited := startRun(t, env, append(job, "--concurrency", "2", "--job-id", "killed")...)
	waitDone(t, env, "killed", tasks*2/5)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for !hasExited(exited) && jobState(t, st, "killed") == journal.Running {
		time.Sleep(10 * time.Millisecond)
	}
	before, err := st.Read("killed")
	if err != nil {
		t.Fatal(err)
	}
	if before.State != journal.Stopped || before.DoneTasks == 0 || before.DoneTasks == tasks {
		t.Fatalf("after the kill: %+v", before.Summary)
	}
	if j := listJobs(t, env); len(j) != 1 || j[0].State != journal.Stopped {
		t.Fatalf("jobs list after the kill: %+v", j)
	}

	out, stderr, code := binIn(t, env, "jobs", "resume", "killed", "--json")
	resumed := decode[result](t, out, "jobs resume --json")
	if code != 0 || resumed.JobID != "killed" || resumed.Tasks != tasks || resumed.FailedTasks != 0 {
		t.Fatalf("resume: exit %d, %+v, stderr %s", code, resumed, stderr)
	}
	out, _, _ = binIn(t, []string{"OVERCAST_JOURNAL=off"}, append(job, "--json")...)
	if whole := decode[result](t, out, "run"); resumed.Answer != whole.Answer {
		t.Fatalf("resumed answer %v, uninterrupted run's %v", resumed.Answer, whole.Answer)
	}

	after, err := st.Read("killed")
	if err != nil || after.State != journal.Done || after.Runs != 2 || after.DoneTasks != tasks {
		t.Fatalf("after resume: %+v, %v", after, err)
	}
	rerun := 0
	for i, t0 := range before.Maps[0].Tasks {
		t1 := after.Maps[0].Tasks[i]
		switch {
		case t0.State != journal.TaskDone:
			rerun++
			if t1.Run != 2 {
				t.Errorf("task %d, unfinished before, was not run by the resume: %+v", i, t1)
			}
		case t1.Run != 1 || t1.Attempts != t0.Attempts || t1.Record.Invoked != t0.Record.Invoked:
			t.Errorf("task %d finished before the kill and ran again: before %+v, after %+v", i, t0, t1)
		}
		if t.Failed() && i > 10 {
			t.FailNow()
		}
	}
	if rerun != tasks-before.DoneTasks {
		t.Errorf("%d tasks rerun, want %d", rerun, tasks-before.DoneTasks)
	}
}

func jobState(t *testing.T, st *journal.Store, id string) journal.State {
	s, err := st.Summary(id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

func TestJobsClean(t *testing.T) {
	env, st := homeEnv(t)
	for _, args := range [][]string{
		{"--job-id", "ok1"}, {"--job-id", "ok2"}, {"--job-id", "bad", "--timeout", "1ns"},
	} {
		binIn(t, env, append([]string{"run", "pi", "--samples", "1e6", "--tasks", "2"}, args...)...)
	}
	cmd, _, _ := startRun(t, env, "run", "pi", "--samples", "1e13", "--tasks", "1000", "--job-id", "live")
	waitDone(t, env, "live", 0)

	ids := func() []string {
		var s []string
		for _, j := range listJobs(t, env) {
			s = append(s, j.ID)
		}
		slices.Sort(s)
		return s
	}
	steps := []struct {
		args []string
		code int
		left string
	}{
		{[]string{"ok1"}, 0, "bad live ok2"},
		{[]string{"--all", "--older-than", "1h"}, 0, "bad live ok2"}, // none is an hour old
		{nil, 0, "bad live"},                                         // done jobs only
		{[]string{"--older-than", "1h"}, 0, "bad live"},
		{[]string{"live"}, 1, "bad live"},
		{[]string{"--all"}, 0, "live"},
	}
	for _, s := range steps {
		_, stderr, code := binIn(t, env, append([]string{"jobs", "clean"}, s.args...)...)
		if got := strings.Join(ids(), " "); code != s.code || got != s.left {
			t.Fatalf("jobs clean %v: exit %d (%s), left %q; want exit %d, left %q", s.args, code, stderr, got, s.code, s.left)
		}
	}
	cmd.Process.Kill()
	for jobState(t, st, "live") == journal.Running {
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, code := binIn(t, env, "jobs", "clean", "--all"); code != 0 || len(ids()) != 0 {
		t.Fatalf("clean of the stopped job: exit %d, left %v", code, ids())
	}
}

func TestResumeUsesJournalDir(t *testing.T) {
	env, st := homeEnv(t)
	binIn(t, env, "run", "pi", "--samples", "1e6", "--tasks", "2", "--timeout", "1ns", "--job-id", "f")
	other, otherStore := homeEnv(t)
	_, stderr, code := binIn(t, other, "jobs", "resume", "f", "--journal-dir", st.Root())
	if j, err := st.Read("f"); code != 1 || err != nil || j.Runs != 2 {
		t.Fatalf("resume with --journal-dir: exit %d (%s), job %+v, %v", code, stderr, j, err)
	}
	if jobs, _ := otherStore.List(); len(jobs) != 0 {
		t.Fatalf("the resumed run journaled elsewhere: %+v", jobs)
	}
}

func TestSelectCleanCombinesAllAndOlderThan(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sum := func(id string, state journal.State, age time.Duration) *journal.Summary {
		return &journal.Summary{ID: id, State: state, Updated: now.Add(-age)}
	}
	sums := []*journal.Summary{
		sum("new-done", journal.Done, time.Minute), sum("old-done", journal.Done, 2*time.Hour),
		sum("new-failed", journal.Failed, time.Minute), sum("old-stopped", journal.Stopped, 2*time.Hour),
		sum("old-running", journal.Running, 2*time.Hour),
	}
	tests := []struct {
		all       bool
		olderThan time.Duration
		want      string
	}{
		{false, 0, "new-done old-done"},
		{true, 0, "new-done old-done new-failed old-stopped"},
		{false, time.Hour, "old-done old-stopped"},
		{true, time.Hour, "old-done old-stopped"},
		{true, 3 * time.Hour, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(selectClean(sums, tt.all, tt.olderThan, now), " "); got != tt.want {
			t.Errorf("selectClean(all=%v, older-than %v) = %q, want %q", tt.all, tt.olderThan, got, tt.want)
		}
	}
}

func TestResumeTakesRunOutputFlags(t *testing.T) {
	env, st := homeEnv(t)
	binIn(t, env, "run", "pi", "--samples", "1e6", "--tasks", "2", "--timeout", "1ns", "--job-id", "f")
	out, stderr, code := binIn(t, env, "jobs", "resume", "f", "--no-progress", "--json")
	r := decode[result](t, out, "jobs resume --json")
	if j, err := st.Read("f"); code != 1 || err != nil || j.Runs != 2 || r.JobID != "f" {
		t.Fatalf("resume --no-progress --json: exit %d (%s), result %+v, job %+v, %v", code, stderr, r, j, err)
	}
}

// TestDamagedJournals damages the journals of several jobs at once, each
// another way: every command says in one line per job that its journal is
// damaged and how to remove it, lists the healthy jobs, and clean removes
// the damaged ones.
func TestDamagedJournals(t *testing.T) {
	env, st := homeEnv(t)
	damage := map[string]func(path string) error{
		"empty":     func(p string) error { return os.Truncate(p, 0) },
		"truncated": func(p string) error { return os.Truncate(p, int64(2*os.Getpagesize())) },
		"garbage":   func(p string) error { return os.WriteFile(p, bytes.Repeat([]byte("overcast"), 8192), 0o600) },
	}
	for _, id := range []string{"healthy", "empty", "truncated", "garbage"} {
		if _, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e5", "--tasks", "4", "--job-id", id); code != 0 {
			t.Fatalf("run %s: exit %d: %s", id, code, stderr)
		}
	}
	for id, f := range damage {
		if err := f(filepath.Join(st.Root(), id, "journal.db")); err != nil {
			t.Fatal(err)
		}
	}
	checkLines := func(args []string, stderr string, ids ...string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != len(ids) {
			t.Fatalf("%v: stderr %q; want one line for each of %v", args, stderr, ids)
		}
		for _, id := range ids {
			want := "job " + id + ": its journal is damaged"
			if !slices.ContainsFunc(lines, func(l string) bool {
				return strings.HasPrefix(l, "overcast: "+want) && strings.HasSuffix(l, "overcast jobs clean "+id)
			}) {
				t.Errorf("%v: stderr %q lacks %q ... overcast jobs clean %s", args, stderr, want, id)
			}
		}
		for _, bad := range []string{"bad file descriptor", "goroutine", "SIGBUS"} {
			if strings.Contains(stderr, bad) {
				t.Errorf("%v: stderr says %q: %s", args, bad, stderr)
			}
		}
	}
	for _, args := range [][]string{{"jobs", "list"}, {"jobs", "list", "--json"}} {
		out, stderr, code := binIn(t, env, args...)
		if code != 1 || !strings.Contains(out, "healthy") || strings.Contains(out, "garbage") {
			t.Errorf("%v: exit %d, stdout %q; want exit 1 and the healthy job", args, code, out)
		}
		checkLines(args, stderr, "empty", "truncated", "garbage")
	}
	for id := range damage {
		for _, cmd := range []string{"show", "resume", "plot"} {
			args := []string{"jobs", cmd, id}
			_, stderr, code := binIn(t, env, args...)
			if code != 1 {
				t.Errorf("%v: exit %d, want 1", args, code)
			}
			checkLines(args, stderr, id)
		}
		args := []string{"run", "pi", "--samples", "1e5", "--tasks", "4", "--job-id", id}
		if _, stderr, code := binIn(t, env, args...); code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		} else {
			checkLines(args, stderr, id)
		}
	}
	_, stderr, code := binIn(t, env, "jobs", "clean")
	if code != 1 || len(listJobsOf(t, st)) != 0 {
		t.Errorf("jobs clean: exit %d, left %v; want the healthy done job removed, exit 1", code, listJobsOf(t, st))
	}
	checkLines([]string{"jobs", "clean"}, stderr, "empty", "truncated", "garbage")
	if out, stderr, code := binIn(t, env, "jobs", "clean", "empty", "truncated", "garbage"); code != 0 {
		t.Fatalf("jobs clean of the damaged jobs: exit %d: %s%s", code, out, stderr)
	}
	if out, stderr, code := binIn(t, env, "jobs", "list"); code != 0 || stderr != "" || strings.TrimSpace(out) != "no jobs" {
		t.Errorf("jobs list after clean: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// listJobsOf returns the ids of the readable jobs in st.
func listJobsOf(t *testing.T, st *journal.Store) []string {
	sums, _ := readableJobs(st)
	var ids []string
	for _, s := range sums {
		ids = append(ids, s.ID)
	}
	return ids
}
