package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/internal/testbin"
	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/sim"
)

// invokeWith runs overcast invoke with env added and stdin as its input.
func invokeWith(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"invoke"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	return testbin.Exec(t, cmd)
}

func TestInvokeLocal(t *testing.T) {
	out, stderr, code := invokeWith(t, nil, "", "selftest/echo", "--input", `{"n":3,"log":"a line on stderr"}`)
	for _, s := range []string{"task        selftest/echo on local\n", "output      {\"n\":3,\"attempt\":1}\n", "duration    ",
		"logs        none: the local backend keeps no logs"} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("invoke: exit %d, stdout lacks %q:\n%s%s", code, s, out, stderr)
		}
	}
	if stderr != "a line on stderr\n" {
		t.Errorf("stderr %q; the local task's own line should go straight to it", stderr)
	}
	file := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(file, []byte(`{"n":8}`), 0o600)
	for _, args := range [][]string{{"--input", "@" + file}, {"--input", "-"}} {
		out, stderr, code := invokeWith(t, nil, `{"n":8}`, append([]string{"selftest/echo", "--json"}, args...)...)
		r := decode[invokeResult](t, out, "invoke --json")
		if code != 0 || compact(r.Output) != `{"n":8,"attempt":1}` || r.Error != nil || r.Logs == nil || r.LogsNote == "" || r.Duration <= 0 {
			t.Errorf("invoke %v: exit %d, %+v, stderr %q", args, code, r, stderr)
		}
	}
	out, stderr, code = invokeWith(t, nil, "", "selftest/echo", "--input", `{"fail":"no such thing"}`, "--json")
	if r := decode[invokeResult](t, out, "invoke --json"); code != 1 || r.Error == nil || r.Error.Message != "no such thing" ||
		compact(r.Output) != "null" || stderr != "overcast: task selftest/echo failed: no such thing\n" {
		t.Errorf("failing task: exit %d, %+v, stderr %q; want exit 1, the error and one line", code, r, stderr)
	}
	out, _, code = invokeWith(t, nil, "", "selftest/echo", "--input", `{"sleep_ms":5000}`, "--timeout", "50ms")
	if code != 1 || !strings.Contains(out, "error       timed out after 50ms (--timeout)") {
		t.Errorf("timed-out task: exit %d:\n%s", code, out)
	}
}

func TestInvokeBadInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"no/such-task"}, `unknown task "no/such-task" (known: `},
		{[]string{}, "invoke needs one task name"},
		{[]string{"selftest/echo", "--input", "{n:1}"}, "--input is not valid JSON: invalid character 'n'"},
		{[]string{"selftest/echo", "--input", `{"n":1} x`}, "--input is not valid JSON"},
		{[]string{"selftest/echo", "--input", "-"}, "standard input is not valid JSON: unexpected end of JSON input"},
		{[]string{"selftest/echo", "--input", "@/no/such/file"}, "--input: open /no/such/file: no such file"},
		{[]string{"selftest/echo", "--timeout", "-1s"}, "--timeout must not be negative"},
		{[]string{"selftest/echo", "--backend", "cloud"}, `unknown backend "cloud"`},
	} {
		stdout, stderr, code := invokeWith(t, nil, "", tt.args...)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
			t.Errorf("invoke %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tt.args, code, stdout, stderr, tt.msg)
		}
	}
}

// journalSelftest runs selftest/echo over inputs on the backend at url as
// a library user's program would, journaled in root under id, and ends
// the job's record.
func journalSelftest(t *testing.T, root, id, backendName, url string, args []string, inputs []selftest.Input) {
	t.Helper()
	rec, err := journal.New(root).Record(journal.Spec{ID: id, Workload: "selftest", Backend: backendName, Args: args, Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, url, &overcast.Options{JobID: id, Journal: rec, MaxAttempts: 2, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	_, err = overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, inputs).Wait(ctx)
	if err == nil {
		t.Fatal("the job failed no task")
	}
	if err := rec.End(journal.Failed, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}

// TestInvokeAndJobsLogsOnSim invokes tasks on the OpenWhisk sim (actionloop
// processes) and reads the activation logs of a journaled job's failed tasks.
func TestInvokeAndJobsLogsOnSim(t *testing.T) {
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeProcess, Concurrency: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	props := filepath.Join(dir, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\n"), 0o600)
	env := []string{"WSK_CONFIG_FILE=" + props}
	ow := []string{"--backend", "openwhisk", "--json"}

	out, stderr, code := invokeWith(t, env, "", append(ow, "selftest/echo", "--input", `{"n":2,"log":"hello from the task"}`)...)
	r := decode[invokeResult](t, out, "invoke on openwhisk")
	if code != 0 || compact(r.Output) != `{"n":2,"attempt":1}` || r.ActivationID == "" || r.Backend != "openwhisk" || r.Billed <= 0 ||
		!hasLine(r.Logs, "stderr: hello from the task") {
		t.Fatalf("invoke on openwhisk: exit %d, %+v, stderr %s", code, r, stderr)
	}
	out, _, code = invokeWith(t, env, "", append(ow, "selftest/echo", "--input", `{"fail":"nope","log":"about to fail"}`, "--no-deploy")...)
	if r := decode[invokeResult](t, out, "failing invoke"); code != 1 || r.Error == nil || r.Error.Message != "nope" || !hasLine(r.Logs, "stderr: about to fail") {
		t.Errorf("failing task on openwhisk: exit %d, %+v", code, r)
	}
	out, _, code = invokeWith(t, env, "", append(ow, "selftest/echo", "--input", `{"exit":3,"log":"dying now"}`, "--no-deploy")...)
	if r := decode[invokeResult](t, out, "crashing invoke"); code != 1 || r.Error == nil || r.Error.Code != "crashed" || r.ActivationID == "" ||
		!hasLine(r.Logs, "stderr: dying now") {
		t.Errorf("crashing task on openwhisk: exit %d, %+v", code, r)
	}

	// A job whose task 1 fails on its own and task 2 crashes twice;
	// collected blocking, where a crash's id comes only with its error.
	t.Setenv("WSK_CONFIG_FILE", props)
	// The job reads its credentials from props: --auth of another test's
	// in-process command is no process-wide setting.
	root := filepath.Join(dir, "jobs")
	journalSelftest(t, root, "owlogs", "openwhisk", "openwhisk://?collect=blocking", []string{"--backend=openwhisk", "--collect=blocking"},
		[]selftest.Input{{N: 0, Log: "fine"}, {Fail: "bad luck", Log: "task 1 was here"}, {Exit: 3, Log: "task 2 dies"}})
	out, stderr, code = execBin(t, env, "jobs", "logs", "owlogs", "--journal-dir", root)
	for _, s := range []string{"task 1 (map 0): failed after 1 attempt\n", "error       bad luck\n", "stderr: task 1 was here",
		"task 2 (map 0): failed after 2 attempts\n", "attempt 1, activation ", "attempt 2, activation ", "stderr: task 2 dies"} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("jobs logs: exit %d, stdout lacks %q:\n%s%s", code, s, out, stderr)
		}
	}
	if strings.Contains(out, "task 0") || strings.Count(out, "Z stderr: task 2 dies") != 2 {
		t.Errorf("jobs logs shows other tasks' logs, or not both of task 2's attempts:\n%s", out)
	}
	out, _, code = execBin(t, env, "jobs", "logs", "owlogs", "--journal-dir", root, "--task", "2", "--attempt", "2", "--json")
	v := decode[jobLogsJSON](t, out, "jobs logs --json")
	if code != 0 || len(v.Tasks) != 1 || len(v.Tasks[0].Logs) != 1 || v.Tasks[0].Logs[0].Attempt != 2 || !hasLine(v.Tasks[0].Logs[0].Logs, "stderr: task 2 dies") {
		t.Errorf("jobs logs --task 2 --attempt 2: exit %d, %+v", code, v)
	}
	out, _, code = execBin(t, env, "jobs", "logs", "owlogs", "--journal-dir", root, "--task", "0")
	if code != 0 || !strings.Contains(out, "task 0 (map 0): done after 1 attempt\n") || !strings.Contains(out, "stderr: fine") {
		t.Errorf("jobs logs --task 0: exit %d:\n%s", code, out)
	}
}

func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "not JSON: " + string(raw)
	}
	return b.String()
}

func hasLine(lines []string, suffix string) bool {
	for _, l := range lines {
		if strings.HasSuffix(l, suffix) {
			return true
		}
	}
	return false
}

// TestInvokeAndJobsLogsOnLambda invokes tasks under the Lambda Runtime
// Interface Emulator, which returns no log tail and keeps no logs: both
// commands say where the logs went instead.
func TestInvokeAndJobsLogsOnLambda(t *testing.T) {
	ep := startRIE(t, binary)
	lambda := []string{"--backend", "lambda", "--endpoint", ep, "--json"}
	out, stderr, code := invokeWith(t, nil, "", append(lambda, "selftest/echo", "--input", `{"n":5,"log":"hi"}`)...)
	r := decode[invokeResult](t, out, "invoke on lambda")
	if code != 0 || compact(r.Output) != `{"n":5,"attempt":1}` || r.Backend != "lambda" || r.Billed <= 0 ||
		!strings.Contains(r.LogsNote, "the emulator at "+ep+" writes the function's logs to its own standard output") {
		t.Fatalf("invoke on lambda: exit %d, %+v, stderr %s", code, r, stderr)
	}
	out, _, code = invokeWith(t, nil, "", append(lambda, "selftest/echo", "--input", `{"exit":4}`)...)
	if r := decode[invokeResult](t, out, "crashing invoke"); code != 1 || r.Error == nil || r.Error.Code != "crashed" {
		t.Errorf("crashing task on lambda: exit %d, %+v", code, r)
	}

	root := filepath.Join(t.TempDir(), "jobs")
	journalSelftest(t, root, "lambdalogs", "lambda", "lambda://function?endpoint="+ep, []string{"--backend=lambda", "--endpoint=" + ep},
		[]selftest.Input{{N: 0}, {Fail: "bad luck"}})
	out, stderr, code = execBin(t, nil, "jobs", "logs", "lambdalogs", "--journal-dir", root)
	for _, s := range []string{"task 1 (map 0): failed after 1 attempt\n", "error       bad luck\n", "the emulator at " + ep} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("jobs logs: exit %d, stdout lacks %q:\n%s%s", code, s, out, stderr)
		}
	}
}

func TestJobsLogsLocal(t *testing.T) {
	env, _ := homeEnv(t)
	if _, _, code := binIn(t, env, "run", "pi", "--samples", "1e12", "--tasks", "3", "--timeout", "1ms", "--job-id", "doomed"); code != 1 {
		t.Fatalf("failing run: exit %d", code)
	}
	out, stderr, code := binIn(t, env, "jobs", "logs", "doomed")
	if code != 0 || strings.Count(out, "failed after 1 attempt\n") != 3 || strings.Count(out, "logs        none: the local backend keeps no logs") != 3 {
		t.Errorf("jobs logs doomed: exit %d:\n%s%s", code, out, stderr)
	}
	if _, _, code := binIn(t, env, "run", "pi", "--samples", "1e6", "--tasks", "2", "--job-id", "fine"); code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	if out, _, code := binIn(t, env, "jobs", "logs", "fine"); code != 0 || out != "job fine has no failed tasks; see a task's logs with --task N\n" {
		t.Errorf("jobs logs of a job without failures: exit %d, %q", code, out)
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"nope"}, "no job nope in "},
		{[]string{"doomed", "--task", "3"}, "job doomed has no task 3: map 0 has tasks 0 to 2"},
		{[]string{"doomed", "--task", "0", "--map", "1"}, "job doomed has no map 1"},
		{[]string{"doomed", "--task", "0", "--attempt", "1"}, "task 0 of job doomed has no attempt 1: the journal holds the ids of 0"},
		{[]string{"doomed", "--attempt", "1"}, "--attempt needs --task"},
		{[]string{"doomed", "--task", "-1"}, `invalid argument "-1" for "--task"`},
		{[]string{"doomed", "--task", "0", "--attempt", "0"}, `invalid argument "0" for "--attempt"`},
		{[]string{}, "one job id"},
	} {
		stdout, stderr, code := binIn(t, env, append([]string{"jobs", "logs"}, tt.args...)...)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
			t.Errorf("jobs logs %v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tt.args, code, stdout, stderr, tt.msg)
		}
	}
}
