package cli

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/primes"
)

// contractFields are the --json fields the README promises.
var contractFields = []string{"job_id", "workload", "backend", "answer", "tasks", "done_tasks", "failed_tasks",
	"failures", "retries", "throttled", "wall_seconds", "throughput", "check"}

// checkNoAnswer checks a run in which no task finished: exit 1, one line on
// stderr saying so and why, and no answer: nothing on stdout, or with
// --json, the contract's fields and a null answer.
func checkNoAnswer(t *testing.T, stdout, stderr string, code int, jsonOut bool, why string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(stderr, "no task finished") || !strings.Contains(stderr, why) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line saying no task finished, with %q", code, stderr, why)
	}
	if !jsonOut {
		if stdout != "" {
			t.Fatalf("a run that finished no task printed an answer:\n%s", stdout)
		}
		return
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, stdout)
	}
	for _, f := range contractFields {
		if _, ok := m[f]; !ok {
			t.Errorf("--json lacks %q:\n%s", f, stdout)
		}
	}
	if m["answer"] != nil || m["done_tasks"] != 0.0 || m["check"] != nil {
		t.Errorf("answer %v, done_tasks %v, check %v; want null, 0, null", m["answer"], m["done_tasks"], m["check"])
	}
}

func TestNoFinishedTaskPrintsNoAnswer(t *testing.T) {
	args := []string{"run", "pi", "--samples", "1e9", "--tasks", "4", "--timeout", "1ms"}
	stdout, stderr, code := runBin(t, args...)
	checkNoAnswer(t, stdout, stderr, code, false, "4 of 4 tasks failed")
	stdout, stderr, code = runBin(t, append(args, "--json")...)
	checkNoAnswer(t, stdout, stderr, code, true, "4 of 4 tasks failed")
}

// TestNonsensePlatformFailsFast runs jobs against "platforms" that answer
// every request alike with nonsense: no answer, one line, and no retries.
func TestNonsensePlatformFailsFast(t *testing.T) {
	openwhisk := []string{"--backend", "openwhisk", "--auth", "u:k", "--apihost"}
	lambda := []string{"--backend", "lambda", "--endpoint"}
	for _, tt := range []struct {
		name    string
		backend []string // the flags, less the server's URL
		status  int
		body    string
		why     string
	}{
		{"openwhisk {}", openwhisk, 200, "{}", "without an activation id"},
		{"lambda {}", lambda, 200, "{}", "unexpected response: {}"},
		{"lambda web page", lambda, 502, "<html><body>Bad Gateway</body></html>", "with a web page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			for _, jsonOut := range []bool{false, true} {
				requests.Store(0)
				args := append(append([]string{"run", "pi"}, tt.backend...), srv.URL,
					"--no-deploy", "--no-progress", "--samples", "1e6", "--tasks", "4", "--concurrency", "1")
				if jsonOut {
					args = append(args, "--json")
				}
				stdout, stderr, code := runInProcess(t, args...)
				checkNoAnswer(t, stdout, stderr, code, jsonOut, tt.why)
				if n := requests.Load(); n > 5 { // perhaps the limits, then one invocation per task
					t.Errorf("%d requests: a protocol violation was retried", n)
				}
			}
		})
	}
}

// jobPlan parses args into j's flags and returns its plan.
func jobPlan(t *testing.T, j *Job, args ...string) Plan {
	t.Helper()
	fs := pflag.NewFlagSet(j.Name, pflag.ContinueOnError)
	plan := j.Setup(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return plan
}

// cancelAfter is a Reporter that cancels a job once n tasks have finished.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Report(e overcast.Event) {
	if e.Kind == overcast.Finished {
		if c.n--; c.n == 0 {
			c.cancel()
		}
	}
}

// interrupted runs a workload on the local backend with one task in flight
// and interrupts it after the third finished task.
func interrupted(t *testing.T, j *Job, args ...string) *outcome {
	t.Helper()
	plan := jobPlan(t, j, args...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ex, err := overcast.NewExecutor(ctx, "local", &overcast.Options{Concurrency: 1, Reporter: &cancelAfter{n: 3, cancel: cancel}})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	res, err := plan.Run(ctx, ex)
	if res == nil {
		t.Fatal(err)
	}
	out := &outcome{Result: res, err: err, workload: j.Name, backend: "local", interrupted: true}
	done := out.Report.Succeeded()
	if out.err == nil || done < 3 || done == out.Report.Tasks {
		t.Fatalf("done %d of %d, err %v: the job was not interrupted part-way", done, out.Report.Tasks, out.err)
	}
	return out
}

// checkPartial checks how an interrupted run is printed: partial, not
// checked, and its rate from the work done.
func checkPartial(t *testing.T, out *outcome, workDone float64) {
	t.Helper()
	var b strings.Builder
	if err := printHuman(&b, out); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if !strings.HasPrefix(text, "PARTIAL (") || strings.Contains(text, "WRONG") || !strings.Contains(text, "not checked: partial") {
		t.Errorf("an interrupted run should read partial and unchecked:\n%s", text)
	}
	j := toJSON(out)
	if j.Check != nil || j.Answer == nil {
		t.Errorf("check %+v, answer %v: a partial answer is given but not checked", j.Check, j.Answer)
	}
	want := workDone / out.Report.Wall().Seconds()
	if math.Abs(j.Throughput-want) > 1e-9*want {
		t.Errorf("throughput %g, want %g from the work of the finished tasks", j.Throughput, want)
	}
}

func TestInterruptedPrimesIsPartialNotWrong(t *testing.T) {
	out := interrupted(t, primesJob, "--to", "1e13", "--tasks", "100000") // 1e8 numbers a task
	ins, err := primes.Plan(1e13, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var work float64
	for i, r := range out.Report.Records.Slice() {
		if r.State == overcast.Done {
			work += float64(ins[i].Hi - ins[i].Lo)
		}
	}
	checkPartial(t, out, work)
}

func TestInterruptedPiIsPartial(t *testing.T) {
	out := interrupted(t, piJob, "--samples", "1e12", "--tasks", "100000")
	checkPartial(t, out, float64(out.Report.Succeeded())*1e7)
}

// cancelOn is a writer that cancels a context once it is written text.
type cancelOn struct {
	strings.Builder
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Builder.Write(p)
	if strings.Contains(c.String(), c.text) {
		c.cancel()
	}
	return n, err
}

// TestEstimateBeforeBigJob runs primes to 1e13, interrupted as soon as it
// prints its estimate: the estimate comes before any task, on stderr, and
// --json stays one object.
func TestEstimateBeforeBigJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout strings.Builder
	stderr := &cancelOn{text: "estimate:", cancel: cancel}
	code := Run(ctx, []string{"run", "primes", "--to", "1e13", "--json", "--no-progress"}, &stdout, stderr)
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if !strings.HasPrefix(first, "overcast: estimate: about ") || !strings.Contains(first, "core-hours") || !strings.Contains(first, "on local at") {
		t.Fatalf("first line of stderr %q: want the estimate", first)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil || code != 1 || r["done_tasks"] != 0.0 {
		t.Fatalf("exit %d, stdout (%v):\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	if cpu, _ := sizePrimes(1e6, 200); cpu != 0 {
		t.Errorf("primes to 1e6 sized at %v: small jobs are not calibrated", cpu)
	}
	if cpu, _ := sizePi(1e13, 10); cpu < bigJob {
		t.Errorf("pi with 1e13 samples sized at %v: not a big job", cpu)
	}
}
