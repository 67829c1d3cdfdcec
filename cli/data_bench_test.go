package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/sim"
	"github.com/overcast-sc/overcast/workloads/wordcount"
)

// BenchmarkSortOnSimS3 sorts 1 GB of gensort records on the sim (its
// actions run in this process, at benchSim's settings), 64 map and 64
// reduce tasks, alternately with input, intermediate objects and output
// in a real S3 server (versitygw on loopback) and in a directory. It
// reports both rates end to end (from sampling to the last output), the
// share of the S3 run's time, and of its billed task time, that the
// directory run does not need (what storage through S3 costs), and the S3
// run's requests and bytes per GB sorted.
func BenchmarkSortOnSimS3(b *testing.B) {
	s3 := s3test.Start(b).Bucket(b)
	dir := "file://" + b.TempDir()
	env := inprocSimEnv(b)
	for _, bucket := range []string{s3, dir} {
		if _, stderr, code := runEnv(b, env, "gen", "sort", "--size", "1e9", "--output", objectURL(bucket, "in/data")); code != 0 {
			b.Fatalf("gen sort: %s", stderr)
		}
	}
	var s3Run, dirRun simTotals
	var bytes float64
	var calls struct{ requests, moved float64 }
	for i := 0; b.Loop(); i++ {
		r := simSort(b, env, s3, i)
		s3Run.add(&r.simRun)
		bytes += float64(r.Answer.Bytes)
		calls.requests += float64(r.Answer.IO.Gets + r.Answer.IO.Puts + r.Answer.IO.Lists + r.Answer.IO.Deletes)
		calls.moved += float64(r.Answer.IO.Read + r.Answer.IO.Written)
		d := simSort(b, env, dir, i)
		dirRun.add(&d.simRun)
	}
	reportSimShares(b, bytes, &s3Run, &dirRun)
	b.ReportMetric(bytes/float64(b.N)/1e6, "MB")
	b.ReportMetric(calls.requests/(bytes/1e9), "requests/GB")
	b.ReportMetric(calls.moved/bytes, "storage-GB/GB")
}

// BenchmarkWordcountOnSimS3 counts the words of generated Zipf text
// (WORDCOUNT_SIM_BYTES, default 256 MB, over the words of the Debian
// package wamerican-huge) on the sim (its actions run in this process, at
// benchSim's settings), map tasks of 16 MiB and 4 reducers writing the
// per-word counts, alternately with input, intermediate objects and
// output in a real S3 server (versitygw on loopback, reached through a
// counting proxy) and in a directory, alternating which goes first. Both
// totals must equal a single count of the same bytes. It reports both
// rates end to end, the share of the S3 run's time, and of its billed
// task time, that the directory run does not need, and the S3 requests
// and bytes that crossed the wire per GB of text.
func BenchmarkWordcountOnSimS3(b *testing.B) {
	size := envBytes(b, "WORDCOUNT_SIM_BYTES", 256e6)
	counter := s3test.Start(b).Counter(b)
	s3 := counter.Bucket(b)
	dirPath := b.TempDir()
	dir := "file://" + dirPath
	env := inprocSimEnv(b)
	for _, bucket := range []string{s3, dir} {
		if _, stderr, code := runEnv(b, env, "gen", "text", "--size", fmt.Sprint(size), "--output", objectURL(bucket, "in/text.txt")); code != 0 {
			b.Fatalf("gen text: %s", stderr)
		}
	}
	want := countWords(b, filepath.Join(dirPath, "in", "text.txt"))
	var s3Run, dirRun simTotals
	var wire s3test.Counts
	for i := 0; b.Loop(); i++ {
		order := []string{s3, dir}
		if i%2 == 1 {
			order = []string{dir, s3}
		}
		for _, bucket := range order {
			counter.Take()
			r := simWordcount(b, env, bucket, i)
			if r.Answer.TotalWords != want {
				b.Fatalf("%s: counted %d words, a single count of the same bytes %d", r.JobID, r.Answer.TotalWords, want)
			}
			if bucket == s3 {
				s3Run.add(&r.simRun)
				wire.Add(counter.Take())
			} else {
				dirRun.add(&r.simRun)
			}
		}
	}
	bytes := float64(size) * float64(b.N)
	b.Logf("S3 on the wire over %d runs: %+v", b.N, wire)
	reportSimShares(b, bytes, &s3Run, &dirRun)
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(wire.Requests())/(bytes/1e9), "requests/GB")
	b.ReportMetric(float64(wire.Bytes())/bytes, "storage-GB/GB")
}

// benchSim is the sim both benchmarks run on: actions in this process,
// no cold start and no API latency added, 32 activations at once.
var benchSim = sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: 32}

// simRun is what a benchmark reads of a run's --json: its wall time and
// its billed task time (the same memory in both runs, so GB-seconds
// compare as seconds do).
type simRun struct {
	JobID       string  `json:"job_id"`
	WallSeconds float64 `json:"wall_seconds"`
	Cost        struct {
		GBSeconds float64 `json:"gb_seconds"`
	} `json:"cost"`
}

// simTotals adds up the runs of one kind of storage.
type simTotals struct{ wall, task float64 }

func (t *simTotals) add(r *simRun) {
	t.wall += r.WallSeconds
	t.task += r.Cost.GBSeconds
}

// reportSimShares reports the rates of the S3 and directory runs, the
// share of the S3 runs' wall time and of their task time that the
// directory runs did not need, and the sim's settings.
func reportSimShares(b *testing.B, bytes float64, s3, dir *simTotals) {
	b.ReportMetric(bytes/s3.wall/1e6, "s3-MB/s")
	b.ReportMetric(bytes/dir.wall/1e6, "file-MB/s")
	b.ReportMetric(1-dir.wall/s3.wall, "s3-share")
	b.ReportMetric(1-dir.task/s3.task, "s3-task-share")
	b.ReportMetric(float64(benchSim.ColdStart.Milliseconds()), "sim-cold-start-ms")
	b.ReportMetric(float64(benchSim.APILatency.Milliseconds()), "sim-api-latency-ms")
	b.ReportMetric(float64(benchSim.Concurrency), "sim-concurrency")
}

// envBytes is a size from the environment variable name, or def.
func envBytes(b *testing.B, name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 1 || n != math.Trunc(n) {
		b.Fatalf("%s=%q: want a whole number of bytes, e.g. 256e6", name, s)
	}
	return int64(n)
}

// countWords counts a file's words in one goroutine with the counter
// the map tasks use.
func countWords(b *testing.B, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c := wordcount.NewCounter()
	if _, err := io.Copy(c, f); err != nil {
		b.Fatal(err)
	}
	c.End()
	return c.Words
}

type simWordcountResult struct {
	simRun
	Answer struct {
		TotalWords int64 `json:"total_words"`
	} `json:"answer"`
}

// simWordcount counts bucket's in/ on the sim into out-<i>/.
func simWordcount(b *testing.B, env []string, bucket string, i int) simWordcountResult {
	stdout, stderr, code := runEnv(b, env, "run", "wordcount", "--backend", "openwhisk", "--input", objectURL(bucket, "in/"),
		"--output", objectURL(bucket, fmt.Sprintf("out-%d/", i)), "--storage", bucket, "--chunk-size", "16777216", "--reducers", "4",
		"--action-timeout", "5m", "--json")
	var r simWordcountResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
		b.Fatalf("run wordcount: exit %d, %v: %s", code, err, stderr)
	}
	return r
}

// inprocSimEnv starts a sim whose actions run in this process, which
// has the S3 test keys, and returns the environment that reaches it.
func inprocSimEnv(b *testing.B) []string {
	o := benchSim
	s, err := sim.New(&o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	home := b.TempDir()
	props := filepath.Join(home, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	return append(s3test.Env(), "WSK_CONFIG_FILE="+props, "HOME="+home, "PATH="+os.Getenv("PATH"))
}

type simSortResult struct {
	simRun
	Answer struct {
		Bytes int64 `json:"bytes"`
		IO    struct {
			Gets, Puts, Lists, Deletes int64
			Read                       int64 `json:"bytes_read"`
			Written                    int64 `json:"bytes_written"`
		} `json:"io"`
	} `json:"answer"`
}

// simSort sorts bucket's in/ into out-<i>/ on the sim and validates it.
func simSort(b *testing.B, env []string, bucket string, i int) simSortResult {
	in, out := objectURL(bucket, "in/"), objectURL(bucket, "out-"+string(rune('a'+i))+"/")
	stdout, stderr, code := runEnv(b, env, "run", "sort", "--backend", "openwhisk", "--input", in, "--output", out,
		"--storage", bucket, "--tasks", "64", "--action-timeout", "5m", "--json")
	var r simSortResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
		b.Fatalf("run sort: exit %d, %v: %s", code, err, stderr)
	}
	if i == 0 {
		if _, stderr, code := runEnv(b, env, "validate", "sort", "--input", in, "--output", out); code != 0 {
			b.Fatalf("validate sort: %s", stderr)
		}
	}
	return r
}
