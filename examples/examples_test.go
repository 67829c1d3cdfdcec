// Package examples_test builds each example program and runs it through
// its binary, as a user would: run NAME --json on the local backend, and
// the options example deployed to an OpenWhisk simulator as its own
// worker.
package examples_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/awstest"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/sim"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	awstest.Isolate()
	goleak.VerifyTestMain(m)
}

// contractFields are the --json fields the README promises.
var contractFields = []string{"job_id", "workload", "backend", "answer", "tasks", "done_tasks", "failed_tasks",
	"failures", "retries", "throttled", "wall_seconds", "throughput", "check"}

// result is run --json's output.
type result struct {
	JobID       string         `json:"job_id"`
	Workload    string         `json:"workload"`
	Backend     string         `json:"backend"`
	Answer      any            `json:"answer"`
	Check       *check         `json:"check"`
	Complete    bool           `json:"complete"`
	Tasks       int            `json:"tasks"`
	DoneTasks   int            `json:"done_tasks"`
	FailedTasks int            `json:"failed_tasks"`
	Throughput  float64        `json:"throughput"`
	Unit        string         `json:"throughput_unit"`
	Details     map[string]any `json:"details"`
}

type check struct {
	Expected float64 `json:"expected"`
	Error    float64 `json:"error"`
	OK       bool    `json:"ok"`
}

// home returns an environment with a home of its own, so that runs are
// journaled there.
func home(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"HOME=" + dir, "OVERCAST_HOME=" + filepath.Join(dir, ".overcast"), "PATH=" + os.Getenv("PATH")}
}

// run runs bin with exactly env and returns stdout, stderr and the exit code.
func run(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return testbin.Exec(t, cmd)
}

// runJSON runs a job with --json and checks the contract: exit 0, every
// field, the job complete and its check passed.
func runJSON(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	stdout, stderr, code := run(t, bin, env, append(args, "--json", "--no-progress")...)
	if code != 0 {
		t.Fatalf("%v: exit %d\nstderr: %s\nstdout: %s", args, code, stderr, stdout)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(stdout), &fields); err != nil {
		t.Fatalf("%v: stdout is not one JSON object (%v):\n%s", args, err, stdout)
	}
	for _, f := range contractFields {
		if _, ok := fields[f]; !ok {
			t.Errorf("%v: --json lacks %q", args, f)
		}
	}
	var r result
	json.Unmarshal([]byte(stdout), &r)
	if !r.Complete || r.FailedTasks != 0 || r.DoneTasks != r.Tasks || r.Check == nil || !r.Check.OK || r.JobID == "" {
		t.Fatalf("%v: not a complete, checked run:\n%s", args, stdout)
	}
	return r
}

func TestOptionsLocal(t *testing.T) {
	bin := testbin.Example(t, "options")
	r := runJSON(t, bin, home(t), "run", "options", "--paths", "4e5", "--tasks", "8")
	if r.Workload != "options" || r.Backend != "local" || r.Tasks != 8 || r.Unit != "paths/s" || r.Throughput <= 0 {
		t.Errorf("run options: %+v", r)
	}
	// Hull's textbook value of this call (S = K = 100, r = 5%, σ = 20%, T = 1).
	if bs := r.Details["black_scholes"].(float64); math.Abs(bs-10.4506) > 1e-4 || r.Check.Expected != bs {
		t.Errorf("black_scholes %v, check.expected %v; want 10.4506", bs, r.Check.Expected)
	}
	price := r.Answer.(float64)
	se := r.Details["std_err"].(float64)
	if se <= 0 || math.Abs(price-r.Check.Expected) > 4*se || r.Check.Error != price-r.Check.Expected {
		t.Errorf("price %v, standard error %v, check %+v", price, se, r.Check)
	}
	// The same seed gives the same price, whatever the task count.
	again := runJSON(t, bin, home(t), "run", "options", "--paths", "4e5", "--tasks", "8")
	if again.Answer != r.Answer {
		t.Errorf("the same job priced %v, then %v", r.Answer, again.Answer)
	}
	other := runJSON(t, bin, home(t), "run", "options", "--paths", "4e5", "--tasks", "8", "--seed", "2", "--vol", "0.3", "--strike", "110")
	if other.Answer == r.Answer || other.Check.Expected == r.Check.Expected {
		t.Errorf("another market priced the same: %v", other.Answer)
	}
}

// TestOptionsBadFlags: every bad input is one line and exit 2.
func TestOptionsBadFlags(t *testing.T) {
	bin := testbin.Example(t, "options")
	for _, args := range [][]string{
		{"--vol", "0"}, {"--spot", "-1"}, {"--years", "NaN"}, {"--paths", "3", "--tasks", "4"}, {"--tasks", "0"}, {"--paths", "1.5"},
	} {
		stdout, stderr, code := run(t, bin, home(t), append([]string{"run", "options"}, args...)...)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("run options %v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, stdout, stderr)
		}
	}
}

// TestExampleAnswersTheCLI: the example binary is a whole overcast
// command line: its job is listed among the built-in ones, which it runs
// too.
func TestExampleAnswersTheCLI(t *testing.T) {
	bin := testbin.Example(t, "options")
	env := home(t)
	out, _, code := run(t, bin, env, "tasks")
	if code != 0 || !strings.Contains(out, "options ") || !strings.Contains(out, "pi ") || !strings.Contains(out, "options/simulate") {
		t.Errorf("tasks: exit %d:\n%s", code, out)
	}
	r := runJSON(t, bin, env, "run", "pi", "--samples", "1e6", "--tasks", "4")
	if r.Workload != "pi" {
		t.Errorf("run pi in the example: %+v", r)
	}
	out, _, code = run(t, bin, env, "jobs", "list")
	if code != 0 || !strings.Contains(out, r.JobID) {
		t.Errorf("jobs list: exit %d:\n%s", code, out)
	}
	_, stderr, code := run(t, bin, env, "run", "nope")
	if code != 2 || !strings.Contains(stderr, "options") {
		t.Errorf("run nope: exit %d, stderr %q; want the known workloads, options among them", code, stderr)
	}
}

// TestExampleNamesItself: the program's messages, usage lines and hints
// name it (its file's name), not overcast.
func TestExampleNamesItself(t *testing.T) {
	bin := testbin.Example(t, "options")
	name := filepath.Base(bin)
	env := home(t)
	for _, tt := range []struct {
		args []string
		code int
		want string // on stderr, or on stdout when code is 0
	}{
		{[]string{"run", "nope"}, 2, name + `: unknown workload "nope"`},
		{[]string{"run", "options", "--tasks", "0"}, 2, name + ": "},
		{[]string{"jobs", "resume", "nosuchjob"}, 2, "(see " + name + " jobs list)"},
		{[]string{"invoke"}, 2, "(see " + name + " tasks)"},
		{[]string{"--help"}, 0, "Usage:\n  " + name + " [flags]\n  " + name + " [command]"},
		{[]string{"run", "pi", "--help"}, 0, "  " + name + " run pi --samples 1e10 --tasks 1000"},
		{[]string{"version"}, 0, name + " "},
	} {
		stdout, stderr, code := run(t, bin, env, tt.args...)
		out := stderr
		if tt.code == 0 {
			out = stdout
		}
		if code != tt.code || !strings.Contains(out, tt.want) || strings.Contains(stdout+stderr, "overcast ") || strings.HasPrefix(stderr, "overcast") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q, and no overcast", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
	}
	// jobs show names the program's command line of a job.
	_, _, code := run(t, bin, env, "run", "pi", "--samples", "1e6", "--tasks", "4", "--job-id", "named", "--no-progress")
	out, _, code2 := run(t, bin, env, "jobs", "show", "named")
	if code != 0 || code2 != 0 || !strings.Contains(out, "command  "+name+" run pi ") {
		t.Errorf("jobs show: exit %d, %d:\n%s", code, code2, out)
	}
}

// TestOptionsOnSim deploys the options binary to an OpenWhisk simulator
// that runs actions as processes: the worker is the example itself, as
// only it has the options/simulate task, and the check passes there.
func TestOptionsOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	bin := testbin.Example(t, "options")
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeProcess, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := home(t)
	props := filepath.Join(t.TempDir(), "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	env = append(env, "WSK_CONFIG_FILE="+props)
	// Not deployed yet: every task fails, the hint names this program's
	// deploy, and the partial run's check is null.
	out, stderr, code := run(t, bin, env, "run", "options", "--backend", "openwhisk", "--no-deploy", "--paths", "2e5", "--tasks", "2", "--json", "--no-progress")
	var undeployed map[string]any
	if err := json.Unmarshal([]byte(out), &undeployed); err != nil || code != 1 {
		t.Fatalf("run before deploy: exit %d (%v), stdout %q, stderr %q", code, err, out, stderr)
	}
	name := filepath.Base(bin)
	if check, ok := undeployed["check"]; !ok || check != nil || !strings.HasPrefix(stderr, name+": ") ||
		!strings.Contains(stderr, name+" deploy --backend openwhisk") || strings.Contains(stderr, "overcast deploy") {
		t.Errorf("run before deploy: check %v (present %v), stderr %q; want check null and the hint to run options deploy", check, ok, stderr)
	}
	out, stderr, code = run(t, bin, env, "deploy", "--backend", "openwhisk")
	if code != 0 || !strings.Contains(out, "uploaded") {
		t.Fatalf("deploy: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	r := runJSON(t, bin, env, "run", "options", "--backend", "openwhisk", "--paths", "2e5", "--tasks", "8")
	if r.Backend != "openwhisk" || r.Tasks != 8 {
		t.Errorf("run options on the sim: %+v", r)
	}
	local := runJSON(t, bin, env, "run", "options", "--paths", "2e5", "--tasks", "8")
	if local.Answer != r.Answer {
		t.Errorf("the sim priced %v, the local backend %v", r.Answer, local.Answer)
	}
}

// TestOptionsResumeAfterKill kills the driver of an options job part
// way, resumes it with jobs resume, and checks that the answer is exactly
// an uninterrupted run's.
func TestOptionsResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	bin := testbin.Example(t, "options")
	env := home(t)
	job := []string{"run", "options", "--paths", "2e7", "--tasks", "200", "--seed", "3"}
	cmd := exec.Command(bin, append(job, "--concurrency", "1", "--job-id", "killed", "--no-progress")...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() { cmd.Process.Kill(); <-done }()
	waitDone(t, bin, env, "killed", 20)
	cmd.Process.Kill()
	<-done
	if s := jobSummary(t, bin, env, "killed"); s.State != "stopped" || s.DoneTasks == 200 {
		t.Fatalf("after the kill: %+v", s)
	}
	out, stderr, code := run(t, bin, env, "jobs", "resume", "killed", "--json")
	var resumed result
	if err := json.Unmarshal([]byte(out), &resumed); err != nil || code != 0 || !resumed.Complete || resumed.Check == nil || !resumed.Check.OK {
		t.Fatalf("resume: exit %d (%v)\n%s\n%s", code, err, out, stderr)
	}
	whole := runJSON(t, bin, env, job...)
	if resumed.Answer != whole.Answer || resumed.Workload != "options" {
		t.Errorf("resumed price %v, uninterrupted run's %v", resumed.Answer, whole.Answer)
	}
	if s := jobSummary(t, bin, env, "killed"); s.State != "done" || s.Runs != 2 {
		t.Errorf("after the resume: %+v", s)
	}
	out, _, code = run(t, bin, env, "jobs", "show", "killed")
	if code != 0 || !strings.Contains(out, "options") {
		t.Errorf("jobs show: exit %d\n%s", code, out)
	}
	prefix := filepath.Join(t.TempDir(), "killed")
	if _, stderr, code := run(t, bin, env, "jobs", "plot", "killed", "--out", prefix); code != 0 {
		t.Errorf("jobs plot: exit %d: %s", code, stderr)
	} else if fi, err := os.Stat(prefix + "-timeline.png"); err != nil || fi.Size() == 0 {
		t.Errorf("jobs plot wrote no timeline: %v", err)
	}
}

type summary struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	DoneTasks int    `json:"done_tasks"`
	Runs      int    `json:"runs"`
}

func jobSummary(t *testing.T, bin string, env []string, id string) summary {
	t.Helper()
	out, stderr, code := run(t, bin, env, "jobs", "list", "--json")
	var list []summary
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
		t.Fatalf("jobs list --json: exit %d (%v): %s", code, err, stderr)
	}
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no job %s in %s", id, out)
	return summary{}
}

// waitDone polls jobs list until job id has at least n done tasks.
func waitDone(t *testing.T, bin string, env []string, id string, n int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _, _ := run(t, bin, env, "jobs", "list", "--json")
		var list []summary
		json.Unmarshal([]byte(out), &list)
		for _, s := range list {
			if s.ID == id && s.DoneTasks >= n {
				if s.State != "running" {
					t.Fatalf("job %s is %s before the test could stop it", id, s.State)
				}
				return
			}
		}
	}
	t.Fatalf("job %s never reached %d done tasks", id, n)
}

func TestSweepWritesCSV(t *testing.T) {
	bin := testbin.Example(t, "sweep")
	csvPath := filepath.Join(t.TempDir(), "prices.csv")
	r := runJSON(t, bin, home(t), "run", "sweep", "--strikes", "7", "--vols", "3", "--output", csvPath)
	if r.Workload != "sweep" || r.Tasks != 21 || r.Answer != 21.0 {
		t.Errorf("run sweep: %+v", r)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 22 || strings.Join(rows[0], ",") != "strike,vol,price,black_scholes" {
		t.Fatalf("CSV: %v, %d rows: %v", err, len(rows), rows)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		price, _ := strconv.ParseFloat(row[2], 64)
		bs, _ := strconv.ParseFloat(row[3], 64)
		if price <= 0 || math.Abs(price-bs) > 1e-8 {
			t.Errorf("row %v: price and closed form differ", row)
		}
		seen[row[0]+","+row[1]] = true
	}
	if len(seen) != 21 || !seen["80,0.1"] || !seen["120,0.5"] {
		t.Errorf("grid points %v", seen)
	}
	if _, stderr, code := run(t, bin, home(t), "run", "sweep"); code != 2 || !strings.Contains(stderr, "--output") {
		t.Errorf("sweep without --output: exit %d, %q", code, stderr)
	}
}

func TestGrepCountsMatches(t *testing.T) {
	bin := testbin.Example(t, "grep")
	dir := t.TempDir()
	want, lines := 0, 0
	re := regexp.MustCompile(`7[0-3]`)
	for f := range 5 {
		var b strings.Builder
		for i := range 3000 * (f + 1) {
			line := fmt.Sprintf("file %d line %d %s", f, i, strings.Repeat("x", i%97))
			b.WriteString(line + "\n")
			lines++
			if re.MatchString(line) {
				want++
			}
		}
		os.MkdirAll(filepath.Join(dir, "logs", strconv.Itoa(f%2)), 0o755)
		os.WriteFile(filepath.Join(dir, "logs", strconv.Itoa(f%2), fmt.Sprintf("f%d.log", f)), []byte(b.String()), 0o644)
	}
	r := runJSON(t, bin, home(t), "run", "grep", "--input", "file://"+dir+"/logs/", "--pattern", re.String(), "--chunk-size", "64e3")
	if r.Answer != float64(want) || r.Details["lines"] != float64(lines) || r.Details["files"] != 5.0 || r.Tasks < 10 || r.Unit != "bytes/s" {
		t.Errorf("grep: answer %v lines %v files %v over %d tasks; want %d matches of %d lines in 5 files",
			r.Answer, r.Details["lines"], r.Details["files"], r.Tasks, want, lines)
	}
	if _, stderr, code := run(t, bin, home(t), "run", "grep", "--input", "file://"+dir, "--pattern", "("); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("grep with a bad pattern: exit %d, %q", code, stderr)
	}
}
