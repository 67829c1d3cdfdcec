package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/sim"
)

// BenchmarkSortOnSimS3 sorts 1 GB of gensort records held in a real S3
// server (versitygw on loopback) on the sim, its actions run in this
// process (sim mode inproc, default settings otherwise), 16 map and 16
// reduce tasks, and reports the rate end to end (from sampling to the
// last output written), the share of the tasks' time spent waiting on
// storage, and the requests and bytes per GB sorted.
func BenchmarkSortOnSimS3(b *testing.B) {
	srv := s3test.Start(b)
	bucket := srv.Bucket(b)
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: 32})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	home := b.TempDir()
	props := filepath.Join(home, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	env := append(s3test.Env(), "WSK_CONFIG_FILE="+props, "HOME="+home, "PATH="+os.Getenv("PATH"))
	in, out := objectURL(bucket, "in/data"), objectURL(bucket, "out/")
	if _, stderr, code := runEnv(b, env, "gen", "sort", "--size", "1e9", "--output", in); code != 0 {
		b.Fatalf("gen sort: %s", stderr)
	}
	var wall, storageS, taskS, bytes, requests, moved float64
	for b.Loop() {
		stdout, stderr, code := runEnv(b, env, "run", "sort", "--backend", "openwhisk", "--input", in, "--output", out,
			"--storage", bucket, "--tasks", "16", "--json")
		var r struct {
			Answer struct {
				Bytes int64 `json:"bytes"`
				IO    struct {
					Gets, Puts, Lists, Deletes int64
					Read                       int64   `json:"bytes_read"`
					Written                    int64   `json:"bytes_written"`
					Seconds                    float64 `json:"seconds"`
				} `json:"io"`
				TaskSeconds float64 `json:"task_seconds"`
			} `json:"answer"`
			WallSeconds float64 `json:"wall_seconds"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
			b.Fatalf("run sort: exit %d, %v: %s", code, err, stderr)
		}
		a := r.Answer
		wall += r.WallSeconds
		storageS += a.IO.Seconds
		taskS += a.TaskSeconds
		bytes += float64(a.Bytes)
		requests += float64(a.IO.Gets + a.IO.Puts + a.IO.Lists + a.IO.Deletes)
		moved += float64(a.IO.Read + a.IO.Written)
	}
	if _, stderr, code := runEnv(b, env, "validate", "sort", "--input", in, "--output", out); code != 0 {
		b.Fatalf("validate sort: %s", stderr)
	}
	b.ReportMetric(bytes/wall/1e6, "MB/s")
	b.ReportMetric(storageS/taskS, "storage-share")
	b.ReportMetric(requests/(bytes/1e9), "requests/GB")
	b.ReportMetric(moved/bytes, "storage-GB/GB")
}
