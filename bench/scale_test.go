package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/testbin"
)

// scaleTasks is the task count of BenchmarkTenMillionTasks:
// $OVERCAST_SCALE_TASKS, or ten million.
func scaleTasks(b *testing.B) int {
	v := os.Getenv("OVERCAST_SCALE_TASKS")
	if v == "" {
		return 10_000_000
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 2 {
		b.Fatalf("OVERCAST_SCALE_TASKS=%q: want a task count such as 1e6", v)
	}
	return int(n)
}

// BenchmarkTenMillionTasks runs the overcast binary on the local backend
// with its journal on, as a user would: `run pi --tasks N` (100 samples a
// task at the default 1e9 samples) and the same with one sample a task
// ("empty"). Each runs once to the end, reporting the driver's peak RSS
// per task (rusage), the journal's bytes per task and the wall time; and
// once interrupted with SIGINT when half its tasks are done, reporting the
// time from the signal to the driver's exit and how long jobs show and
// jobs list then take. Run it with -benchtime 1x;
// OVERCAST_SCALE_TASKS (say 2e6) makes it smaller.
func BenchmarkTenMillionTasks(b *testing.B) {
	bin := testbin.Overcast(b)
	n := scaleTasks(b)
	for _, c := range []struct {
		name    string
		samples string
	}{{"empty", strconv.Itoa(n)}, {"pi", "1e9"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				args := []string{"run", "pi", "--tasks", strconv.Itoa(n), "--samples", c.samples, "--no-progress", "--json"}
				s := scaleRun{b: b, bin: bin, home: b.TempDir(), n: n}
				s.full(args)
				s.interrupted(args)
				b.ReportMetric(float64(n), "tasks")
			}
		})
	}
}

// scaleRun is one scenario's runs under their own OVERCAST_HOME.
type scaleRun struct {
	b         *testing.B
	bin, home string
	n         int
}

func (s *scaleRun) command(args ...string) *exec.Cmd {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), "OVERCAST_HOME="+s.home)
	return cmd
}

// full runs the job to its end.
func (s *scaleRun) full(args []string) {
	b := s.b
	cmd := s.command(append(args, "--job-id", "full")...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out.Bytes())
	}
	wall := time.Since(start)
	var res struct {
		DoneTasks int `json:"done_tasks"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.DoneTasks != s.n {
		b.Fatalf("done %d of %d tasks (%v)", res.DoneTasks, s.n, err)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // kB on Linux
	fi, err := os.Stat(filepath.Join(s.home, "jobs", "full", "journal.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rss)/float64(s.n), "rss-B/task")
	b.ReportMetric(float64(fi.Size())/float64(s.n), "journal-B/task")
	b.ReportMetric(wall.Seconds(), "wall-s")
}

// interrupted stops a run with SIGINT once half its tasks are done and
// times its exit, then jobs show and jobs list.
func (s *scaleRun) interrupted(args []string) {
	b := s.b
	cmd := s.command(append(args, "--job-id", "int")...)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	status := filepath.Join(s.home, "jobs", "int", "status.json")
	for done := 0; done < s.n/2; {
		select {
		case err := <-exited:
			b.Fatalf("the run ended before it was interrupted: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		var sum struct {
			Done int `json:"done_tasks"`
		}
		if data, err := os.ReadFile(status); err == nil && json.Unmarshal(data, &sum) == nil {
			done = sum.Done
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		b.Fatal(err)
	}
	sig := time.Now()
	<-exited
	b.ReportMetric(time.Since(sig).Seconds(), "sigint-s")
	show := s.timed("show-s", "jobs", "show", "int", "--json")
	var j struct {
		State       string `json:"state"`
		DoneTasks   int    `json:"done_tasks"`
		Unfinished  int    `json:"pending_tasks"`
		FailedTasks int    `json:"failed_tasks"`
	}
	if err := json.Unmarshal(show, &j); err != nil || j.State != "interrupted" || j.DoneTasks < s.n/2 || j.DoneTasks+j.Unfinished != s.n {
		b.Fatalf("jobs show after SIGINT: %+v (%v); want an interrupted job, resumable, with at least half its tasks done", j, err)
	}
	s.timed("list-s", "jobs", "list")
}

// timed runs an overcast command and reports its wall time as metric.
func (s *scaleRun) timed(metric string, args ...string) []byte {
	cmd := s.command(args...)
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		s.b.Fatalf("%v: %v", cmd.Args, err)
	}
	s.b.ReportMetric(time.Since(start).Seconds(), metric)
	return out
}
