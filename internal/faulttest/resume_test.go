package faulttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/workloads/pi"
)

// The job the driver is killed in.
const (
	killTasks   = 400
	killSamples = 400_000_000
	killSeed    = 7
	killJob     = "faulttest-kill"
)

// cliEnv is the environment of the CLI processes: the sim's wskprops, a
// fresh home and jobs directory, nothing of this machine's configuration.
type cliEnv struct {
	bin, home string
	env       []string
}

func (c *cliEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	return cmd
}

// output runs the CLI and returns its standard output.
func (c *cliEnv) output(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := c.command(ctx, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("overcast %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// startSimProcess runs `overcast sim` on a free port and returns the
// wskprops lines it prints. The sim stops when the test ends.
func startSimProcess(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
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
			<-done
		}
		if i := strings.Index(stderr.String(), "sim: stopping"); i >= 0 {
			t.Log(strings.TrimSpace(stderr.String()[i:]))
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		var props []string
		for len(props) < 3 && sc.Scan() {
			props = append(props, sc.Text())
		}
		lines <- strings.Join(props, "\n") + "\n"
		for sc.Scan() {
		}
	}()
	select {
	case props := <-lines:
		if !strings.HasPrefix(props, "APIHOST=http://127.0.0.1:") || !strings.Contains(props, "\nAUTH=") {
			t.Fatalf("sim printed %q", props)
		}
		return props
	case <-time.After(20 * time.Second):
		t.Fatalf("the sim printed no wskprops: %s", stderr.Bytes())
	}
	return ""
}

// runJSON is the part of run's JSON output the test reads.
type runJSON struct {
	JobID       string  `json:"job_id"`
	Answer      float64 `json:"answer"`
	Complete    bool    `json:"complete"`
	Tasks       int     `json:"tasks"`
	DoneTasks   int     `json:"done_tasks"`
	FailedTasks int     `json:"failed_tasks"`
	Retries     int64   `json:"retries"`
	Details     struct {
		Inside  uint64 `json:"inside"`
		Samples uint64 `json:"samples"`
	} `json:"details"`
}

func TestKillDriverAndResume(t *testing.T) {
	want := localPiResult(t)
	bin := overcastBinary(t)
	props := startSimProcess(t, bin, "--mode", "inproc", "--concurrency-limit", "20", "--api-latency", "10ms",
		"--cold-start", "100ms", "--crash-rate", "0.1", "--5xx-rate", "0.05", "--straggler-rate", "0.05",
		"--straggler-slowdown", "20", "--seed", "3")
	c := newCLIEnv(t, bin, props)

	driver := c.command(context.Background(), "run", "pi", "--backend", "openwhisk", "--no-deploy", "--action-timeout", actionTimeout.String(),
		"--samples", fmt.Sprint(killSamples), "--tasks", fmt.Sprint(killTasks), "--seed", fmt.Sprint(killSeed),
		"--max-attempts", "12", "--job-id", killJob, "--json")
	var driverErr bytes.Buffer
	driver.Stderr = &driverErr
	if err := driver.Start(); err != nil {
		t.Fatal(err)
	}
	done := waitForHalf(t, c)
	driver.Process.Kill()
	driver.Wait()
	t.Logf("killed the driver at %d of %d tasks done (jobs list)", done, killTasks)

	store := journal.New(filepath.Join(c.home, "jobs"))
	before := readTasks(t, store)
	finished := 0
	for _, task := range before {
		if task.State == journal.TaskDone {
			finished++
		}
	}
	if finished == 0 || finished == killTasks {
		t.Fatalf("the journal holds %d of %d tasks done at the kill: want some, not all", finished, killTasks)
	}

	var got runJSON
	if err := json.Unmarshal(c.output(t, "jobs", "resume", killJob, "--json"), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Complete || got.JobID != killJob || got.DoneTasks != killTasks || got.FailedTasks != 0 {
		t.Errorf("resume: %+v, want complete with %d done", got, killTasks)
	}
	if got.Details.Inside != want.Inside || got.Details.Samples != want.Samples || got.Answer != want.Estimate {
		t.Errorf("resume answer %v (inside %d of %d), want the fault-free %v (inside %d of %d)",
			got.Answer, got.Details.Inside, got.Details.Samples, want.Estimate, want.Inside, want.Samples)
	}
	checkNotRerun(t, before, readTasks(t, store))
}

func newCLIEnv(t *testing.T, bin, props string) *cliEnv {
	home := t.TempDir()
	wskprops := filepath.Join(home, "wskprops")
	if err := os.WriteFile(wskprops, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := deployStandIn(context.Background(), propsConfig(props), "overcast"); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{bin: bin, home: home, env: []string{"HOME=" + home, "OVERCAST_HOME=" + home,
		"WSK_CONFIG_FILE=" + wskprops, "PATH=" + os.Getenv("PATH")}}
}

// localPiResult is the fault-free, uninterrupted answer of the killed job.
func localPiResult(t *testing.T) *pi.Result {
	ex, err := overcast.NewExecutor(context.Background(), "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	res, _, err := pi.Run(context.Background(), ex, killSamples, killTasks, killSeed)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// waitForHalf polls jobs list until the job has about half its tasks done.
func waitForHalf(t *testing.T, c *cliEnv) int {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		var jobs []struct {
			ID        string `json:"id"`
			State     string `json:"state"`
			Tasks     int    `json:"tasks"`
			DoneTasks int    `json:"done_tasks"`
		}
		if err := json.Unmarshal(c.output(t, "jobs", "list", "--json"), &jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.ID == killJob && j.DoneTasks >= killTasks/2 {
				if j.DoneTasks == killTasks {
					t.Fatalf("the job ended before it could be killed: %+v", j)
				}
				return j.DoneTasks
			}
		}
	}
	t.Fatal("the job never reached half its tasks")
	return 0
}

func readTasks(t *testing.T, store *journal.Store) []journal.Task {
	t.Helper()
	j, err := store.Read(killJob)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Maps) != 1 || len(j.Maps[0].Tasks) != killTasks {
		t.Fatalf("journal of %s: %d maps, want 1 of %d tasks", killJob, len(j.Maps), killTasks)
	}
	return j.Maps[0].Tasks
}

// checkNotRerun fails unless every task finished before the kill kept its
// record through the resume: the same run, attempts and activations.
func checkNotRerun(t *testing.T, before, after []journal.Task) {
	t.Helper()
	kept, resumed := 0, 0
	for i, b := range before {
		a := after[i]
		if a.State != journal.TaskDone {
			t.Errorf("task %d: state %q after the resume, want done", i, a.State)
			continue
		}
		if b.State != journal.TaskDone {
			resumed++
			if a.Run != 2 {
				t.Errorf("task %d unfinished at the kill was last changed by run %d, want 2", i, a.Run)
			}
			continue
		}
		kept++
		if a.Run != b.Run || a.Attempts != b.Attempts || strings.Join(a.Activations, ",") != strings.Join(b.Activations, ",") {
			t.Errorf("task %d finished before the kill ran again: run %d -> %d, attempts %d -> %d, activations %v -> %v",
				i, b.Run, a.Run, b.Attempts, a.Attempts, b.Activations, a.Activations)
		}
	}
	t.Logf("%d tasks finished before the kill kept their records; %d finished in the resume", kept, resumed)
}
