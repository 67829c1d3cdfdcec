package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/sim"
)

// BenchmarkSortOnSimS3 sorts 1 GB of gensort records on the sim (its
// actions run in this process: sim mode inproc, default settings
// otherwise), 16 map and 16 reduce tasks, alternately with input,
// intermediate objects and output in a real S3 server (versitygw on
// loopback) and in a directory. It reports both rates end to end (from
// sampling to the last output), the share of the S3 run's time that the
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
	var s3Wall, dirWall, bytes float64
	var io struct{ requests, moved float64 }
	for i := 0; b.Loop(); i++ {
		r := simSort(b, env, s3, i)
		s3Wall += r.WallSeconds
		bytes += float64(r.Answer.Bytes)
		io.requests += float64(r.Answer.IO.Gets + r.Answer.IO.Puts + r.Answer.IO.Lists + r.Answer.IO.Deletes)
		io.moved += float64(r.Answer.IO.Read + r.Answer.IO.Written)
		dirWall += simSort(b, env, dir, i).WallSeconds
	}
	b.ReportMetric(bytes/s3Wall/1e6, "s3-MB/s")
	b.ReportMetric(bytes/dirWall/1e6, "file-MB/s")
	b.ReportMetric(1-dirWall/s3Wall, "s3-share")
	b.ReportMetric(io.requests/(bytes/1e9), "requests/GB")
	b.ReportMetric(io.moved/bytes, "storage-GB/GB")
}

// inprocSimEnv starts a sim whose actions run in this process, which
// has the S3 test keys, and returns the environment that reaches it.
func inprocSimEnv(b *testing.B) []string {
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: 32})
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
	Answer struct {
		Bytes int64 `json:"bytes"`
		IO    struct {
			Gets, Puts, Lists, Deletes int64
			Read                       int64 `json:"bytes_read"`
			Written                    int64 `json:"bytes_written"`
		} `json:"io"`
	} `json:"answer"`
	WallSeconds float64 `json:"wall_seconds"`
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
