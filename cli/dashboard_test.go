package cli

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/sim"
)

// background runs overcast with env in the background and returns the
// first http:// URL it prints on its stderr (stderrURL) or stdout, the
// command, which is killed when the test ends, and what it writes on the
// other stream.
func background(t *testing.T, env []string, stderrURL bool, args ...string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "OVERCAST_JOURNAL="), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var rest syncBuffer
	var pipe io.ReadCloser
	var err error
	if stderrURL {
		cmd.Stdout = &rest
		pipe, err = cmd.StderrPipe()
	} else {
		cmd.Stderr = &rest
		pipe, err = cmd.StdoutPipe()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	urlRE := regexp.MustCompile(`http://\S+`)
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		if u := urlRE.FindString(sc.Text()); u != "" {
			go drain(sc)
			return u, cmd, &rest
		}
	}
	t.Fatalf("overcast %v printed no URL; %s", args, rest.String())
	return "", nil, nil
}

// dashboardSim starts an in-process sim whose activations crash at
// crashRate, and returns the environment that reaches it.
func dashboardSim(t *testing.T, crashRate float64) []string {
	t.Helper()
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: 200,
		APILatency: 10 * time.Millisecond, Faults: sim.Faults{CrashRate: crashRate}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	props := filepath.Join(t.TempDir(), "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	return []string{"WSK_CONFIG_FILE=" + props}
}

type apiJob struct {
	ID        string `json:"job_id"`
	State     string `json:"state"`
	Tasks     int    `json:"tasks"`
	DoneTasks int    `json:"done_tasks"`
}

func getJobs(t *testing.T, base, query string) (int, []apiJob) {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(base, "/") + "/api/jobs" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jobs []apiJob
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&jobs); err != nil {
			t.Fatalf("GET /api/jobs: %v", err)
		}
	}
	return resp.StatusCode, jobs
}

func TestServeAPIJobsAndToken(t *testing.T) {
	env, _ := homeEnv(t)
	out, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e6", "--tasks", "30", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	id := decode[result](t, out, "run").JobID
	u, _, _ := background(t, env, false, "jobs", "serve", id, "--addr", "127.0.0.1:0")
	if !strings.HasSuffix(u, "/jobs/"+id) {
		t.Errorf("jobs serve ID printed %s, want the job's page", u)
	}
	base := u[:strings.Index(u, "/jobs/")]
	status, jobs := getJobs(t, base, "")
	if status != 200 || len(jobs) != 1 || jobs[0] != (apiJob{ID: id, State: "done", Tasks: 30, DoneTasks: 30}) {
		t.Fatalf("GET /api/jobs: %d %+v", status, jobs)
	}
	resp, err := http.Get(base + "/jobs/20990101-000000-abcdef")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("page of an unknown job: %d, want 404", resp.StatusCode)
	}

	// Another address than loopback needs a token.
	_, stderr, code = binIn(t, env, "jobs", "serve", "--addr", "0.0.0.0:0")
	if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "OVERCAST_DASHBOARD_TOKEN") {
		t.Errorf("serve on 0.0.0.0 without a token: exit %d, %q", code, stderr)
	}
	u, _, _ = background(t, append(env, "OVERCAST_DASHBOARD_TOKEN=s3cret"), false, "jobs", "serve", "--addr", "0.0.0.0:0")
	base = strings.Replace(u[:strings.Index(u, "/?")], "0.0.0.0", "127.0.0.1", 1)
	base = strings.Replace(base, "[::]", "127.0.0.1", 1)
	if status, _ := getJobs(t, base, ""); status != http.StatusUnauthorized {
		t.Errorf("GET /api/jobs without the token: %d, want 401", status)
	}
	if status, _ := getJobs(t, base, "?token=wrong"); status != http.StatusUnauthorized {
		t.Errorf("GET /api/jobs with a wrong token: %d, want 401", status)
	}
	if status, jobs := getJobs(t, base, "?token=s3cret"); status != 200 || len(jobs) != 1 {
		t.Errorf("GET /api/jobs with the token: %d %+v", status, jobs)
	}
	if _, stderr, code := binIn(t, env, "run", "pi", "--tasks", "2", "--dashboard", "10.1.2.3:0"); code != 2 || !strings.Contains(stderr, "loopback") {
		t.Errorf("run --dashboard on another address without a token: exit %d, %q", code, stderr)
	}
}
