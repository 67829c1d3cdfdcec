package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/journal"
)

// A job that cannot fit the machine's memory is refused before it starts,
// in one line with the numbers, and leaves no journal.
func TestRunRefusesJobThatWillNotFit(t *testing.T) {
	env, _ := homeEnv(t)
	out, stderr, code := binIn(t, env, "run", "pi", "--tasks", "1000000000000", "--samples", "1000000000000")
	// The refusal is one line, the last (a time estimate may come first).
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	line := lines[len(lines)-1]
	if code != exitFailed || out != "" || strings.Count(stderr, "need about") != 1 ||
		!strings.Contains(line, "1000000000000 tasks need about 250000.1 GB of driver memory") || !strings.Contains(line, "available") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want one line naming the memory needed and available", code, out, stderr)
	}
	if jobs := listJobs(t, env); len(jobs) != 0 {
		t.Fatalf("a refused job was journaled: %+v", jobs)
	}
}

func TestFitsChecksMemoryAndDisk(t *testing.T) {
	roomy := resources{memory: 1 << 40, memoryFrom: "test", disk: 1 << 40, diskDir: "/d"}
	if err := fits(1e6, 0, roomy); err != nil {
		t.Fatalf("a million tasks on a roomy machine: %v", err)
	}
	tight := resources{memory: 1 << 40, memoryFrom: "test", disk: 100e6, diskDir: "/jobs"}
	err := fits(1e7, 0, tight)
	if err == nil || !strings.Contains(err.Error(), "1.5 GB for their journal") || !strings.Contains(err.Error(), "/jobs holds 100.0 MB free") {
		t.Fatalf("1e7 tasks with 100 MB of disk: %v", err)
	}
	if err := fits(1e7, 1.45e9, tight); err != nil {
		t.Fatalf("resuming a job whose journal already holds most of its tasks: %v", err)
	}
	if err := fits(1e7, 0, resources{memory: 1e9, memoryFrom: "cgroup"}); err == nil || !strings.Contains(err.Error(), "2.6 GB of driver memory") {
		t.Fatalf("1e7 tasks in 1 GB: %v", err)
	}
	if err := fits(1e7, 0, resources{}); err != nil {
		t.Fatalf("nothing measured, nothing refused: %v", err)
	}
}

// A driver stopped with SIGINT mid-job leaves a journal that says so and
// that jobs resume finishes with exactly the answer of an uninterrupted
// run.
func TestResumeAfterInterrupt(t *testing.T) {
	const tasks = 400
	env, st := homeEnv(t)
	job := []string{"run", "pi", "--samples", "4e9", "--tasks", "400", "--seed", "11"}
	cmd, _, exited := startRun(t, env, append(job, "--concurrency", "2", "--job-id", "stopped")...)
	waitDone(t, env, "stopped", tasks*2/5)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-exited
	j, err := st.ReadSummary("stopped")
	if err != nil || j.State != journal.Interrupted || !j.State.Resumable() || j.DoneTasks == 0 || j.DoneTasks == tasks {
		t.Fatalf("after SIGINT: %+v, %v", j, err)
	}
	out, stderr, code := binIn(t, env, "jobs", "resume", "stopped", "--json")
	resumed := decode[result](t, out, "jobs resume --json")
	if code != 0 || resumed.Tasks != tasks || resumed.FailedTasks != 0 {
		t.Fatalf("resume: exit %d, %+v, stderr %s", code, resumed, stderr)
	}
	out, _, _ = binIn(t, []string{"OVERCAST_JOURNAL=off"}, append(job, "--json")...)
	if whole := decode[result](t, out, "run"); resumed.Answer != whole.Answer {
		t.Fatalf("resumed answer %v, uninterrupted run's %v", resumed.Answer, whole.Answer)
	}
	if j, err := st.ReadSummary("stopped"); err != nil || j.State != journal.Done || j.DoneTasks != tasks || j.Runs != 2 {
		t.Fatalf("after resume: %+v, %v", j, err)
	}
}
