package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/awstest"
	"github.com/overcast-sc/overcast/internal/testbin"
	"go.uber.org/goleak"
)

var binary string

func TestMain(m *testing.M) {
	awstest.Isolate() // for the SDK here and in every binary the tests start
	isolateConfig()
	var err error
	if binary, err = testbin.OvercastPath(); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m)
}

// runBin runs the binary and returns stdout, stderr and the exit code.
func runBin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return execBin(t, nil, args...)
}

// execBin runs the binary with env added to this process's environment.
func execBin(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	return testbin.Exec(t, cmd)
}

type result struct {
	JobID       string  `json:"job_id"`
	Workload    string  `json:"workload"`
	Backend     string  `json:"backend"`
	Answer      float64 `json:"answer"`
	Tasks       int     `json:"tasks"`
	FailedTasks int     `json:"failed_tasks"`
	WallSeconds float64 `json:"wall_seconds"`
	Throttled   int     `json:"throttled"`
	Failures    []struct {
		Index int    `json:"index"`
		Error string `json:"error"`
	} `json:"failures"`
}

func runJSON(t *testing.T, args ...string) (*result, string, int) {
	t.Helper()
	stdout, stderr, code := runBin(t, append(args, "--json")...)
	var r result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("overcast %v: stdout is not one JSON object (%v):\n%s\nstderr: %s", args, err, stdout, stderr)
	}
	return &r, stderr, code
}

func TestRunPiJSON(t *testing.T) {
	r, stderr, code := runJSON(t, "run", "pi", "--samples", "2e8", "--tasks", "64")
	if code != 0 || r.Workload != "pi" || r.Backend != "local" || r.Tasks != 64 || r.FailedTasks != 0 || r.WallSeconds <= 0 || r.JobID == "" {
		t.Fatalf("exit %d, result %+v, stderr %s", code, r, stderr)
	}
	if math.Abs(r.Answer-math.Pi) > 1e-3 {
		t.Fatalf("answer %v is far from pi", r.Answer)
	}
	// The same seed and split give the same answer, whatever the concurrency and encoding.
	r2, _, _ := runJSON(t, "run", "pi", "--samples", "2e8", "--tasks", "64", "--concurrency", "7", "--skip-encoding")
	if r2.Answer != r.Answer {
		t.Fatalf("answers differ: %v vs %v", r.Answer, r2.Answer)
	}
}

func TestRunPrimesExact(t *testing.T) {
	r, stderr, code := runJSON(t, "run", "primes", "--to", "1e8", "--tasks", "37")
	if code != 0 || r.Answer != 5761455 {
		t.Fatalf("exit %d, answer %v, stderr %s", code, r.Answer, stderr)
	}
	out, _, code := runBin(t, "run", "primes", "--to", "1e6", "--tasks", "3")
	if code != 0 || !strings.Contains(out, "78498") || !strings.Contains(out, "matches") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestFailedJobExitsOneAndNamesTasks(t *testing.T) {
	r, stderr, code := runJSON(t, "run", "pi", "--samples", "1e9", "--tasks", "4", "--timeout", "1ms")
	if code != 1 || r.FailedTasks != 4 || len(r.Failures) != 4 {
		t.Fatalf("exit %d, result %+v", code, r)
	}
	if !strings.Contains(stderr, "4 of 4 tasks failed") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("stderr should be one line saying why the tasks failed, got:\n%s", stderr)
	}
}

func TestBadInputIsUsageError(t *testing.T) {
	for _, args := range [][]string{
		{"run", "pi", "--samples", "abc"},
		{"run", "pi", "--tasks", "0"},
		{"run", "pi", "--tasks", "-3"},
		{"run", "pi", "--samples", "-5"},
		{"run", "pi", "--samples", "10", "--tasks", "11"},
		{"run", "pi", "--samples", "1e400"},
		{"run", "primes", "--to", "1e20"},
		{"run", "nope"},
		{"run"},
		{"run", "pi", "--backend", "nope"},
		{"run", "pi", "--frobnicate"},
		{"run", "pi", "--concurrency", "-1"},
		{"frobnicate"},
		{"deploy"},
	} {
		stdout, stderr, code := runBin(t, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "overcast: ") || stdout != "" {
			t.Errorf("overcast %v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, stdout, stderr)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("overcast %v printed a stack: %s", args, stderr)
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	out, _, code := runBin(t, "--help")
	for _, c := range []string{"run", "tasks", "version", "\n  invoke "} {
		if code != 0 || !strings.Contains(out, c) {
			t.Errorf("help lacks %q (exit %d):\n%s", c, code, out)
		}
	}
	if out, _, code := runBin(t, "jobs", "--help"); code != 0 || !strings.Contains(out, "\n  logs ") {
		t.Errorf("jobs --help lacks logs (exit %d):\n%s", code, out)
	}
	out, _, _ = runBin(t, "tasks")
	for _, want := range []string{"pi", "primes", "pi/sample", "primes/count", "local"} {
		if !strings.Contains(out, want) {
			t.Errorf("tasks output lacks %q:\n%s", want, out)
		}
	}
	if out, _, code := runBin(t, "version"); code != 0 || !strings.HasPrefix(out, "overcast ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestInterruptStopsPromptlyWithoutAnAnswer(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(binary, "run", "pi", "--samples", "1e13", "--tasks", "1000")
	cmd.Env = append(os.Environ(), "OVERCAST_HOME="+home, "OVERCAST_JOURNAL=") // journaled: see waitForJournal
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForJournal(t, filepath.Join(home, "jobs"))
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("overcast did not stop after SIGINT")
	}
	// Its tasks take seconds each: none finished, so there is no answer.
	if cmd.ProcessState.ExitCode() != 1 || stdout.String() != "" || !strings.Contains(stderr.String(), "interrupted before any task finished") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1e10", 1e10, true}, {"10_000", 10000, true}, {"2.5e3", 2500, true}, {"7", 7, true},
		{"abc", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"1e19", 0, false}, {"", 0, false}, {"NaN", 0, false},
	}
	for _, tt := range tests {
		got, err := parseCount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseCount(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestRecordedArgsDropURLCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:secret@host:443/x": "https://host:443/x",
		"http://a:b@h1,http://h2":     "http://h1,http://h2",
		"plain":                       "plain",
		"1e10":                        "1e10",
	} {
		if got := withoutUserinfo(in); got != want {
			t.Errorf("withoutUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// waitForJournal waits until a job appears under dir: the command has
// started its job, and so handles SIGINT (a signal sent earlier, while
// the process starts on a loaded machine, would kill it).
func waitForJournal(t *testing.T, dir string) {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return
		}
	}
	t.Fatalf("no job appeared under %s within a minute", dir)
}
