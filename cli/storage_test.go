package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/storage"
)

// transferResult is what run transfer --json prints, in part.
type transferResult struct {
	JobID       string `json:"job_id"`
	Answer      bool   `json:"answer"`
	Tasks       int    `json:"tasks"`
	FailedTasks int    `json:"failed_tasks"`
	Details     struct {
		BytesIn  int64 `json:"bytes_in"`
		BytesOut int64 `json:"bytes_out"`
	} `json:"details"`
}

// jobObjects returns the keys of a job's data in a bucket.
func jobObjects(t *testing.T, bucketURL, id string) []string {
	t.Helper()
	b, err := storage.Open(context.Background(), bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs, err := b.List(context.Background(), storage.JobPrefix(id))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// checkTransfer runs transfer with env and args (a backend, its settings
// and --storage), expects every byte back, objects under the job's prefix
// in both directions, and none left after jobs clean.
func checkTransfer(t *testing.T, env []string, bucketURL, id string, tasks int, size string, args ...string) {
	t.Helper()
	args = append([]string{"run", "transfer", "--in-bytes", size, "--out-bytes", size, "--tasks", "2",
		"--job-id", id, "--json", "--no-progress"}, args...)
	out, stderr, code := binIn(t, env, args...)
	r := decode[transferResult](t, out, "run transfer --json")
	if code != 0 || !r.Answer || r.FailedTasks != 0 || r.Tasks != 2 {
		t.Fatalf("overcast %v: exit %d, %+v\nstderr: %s", args, code, r, stderr)
	}
	keys := strings.Join(jobObjects(t, bucketURL, id), " ")
	for _, want := range []string{"overcast/" + id + "/in/0.0", "overcast/" + id + "/in/0.1", "overcast/" + id + "/out/0.0-", "overcast/" + id + "/out/0.1-"} {
		if !strings.Contains(keys, want) {
			t.Errorf("the job's objects %q lack %s", keys, want)
		}
	}
	out, stderr, code = binIn(t, env, "jobs", "clean", id)
	if code != 0 || !strings.Contains(out, "object(s) of "+id) {
		t.Fatalf("jobs clean: exit %d: %s%s", code, out, stderr)
	}
	if left := jobObjects(t, bucketURL, id); len(left) != 0 {
		t.Errorf("jobs clean left %v", left)
	}
}

// TestBigPayloadsOnSim sends 2 MB to each task and 2 MB back through the
// OpenWhisk sim, whose limit is 1 MB each way, with the data in a file
// bucket and in a real S3 server.
func TestBigPayloadsOnSim(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	host, simLog := startSimProcess(t, "user:pass")
	dir := t.TempDir()
	props := filepath.Join(dir, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+host+"\nAUTH=user:pass\n"), 0o600)
	env := append([]string{"WSK_CONFIG_FILE=" + props, "OVERCAST_HOME=" + dir}, s3test.Env()...)
	// This first run deploys the worker; the others reuse it.
	out, stderr, code := binIn(t, env, "run", "transfer", "--in-bytes", "2e6", "--out-bytes", "10", "--tasks", "1", "--backend", "openwhisk")
	if code != exitFailed || !strings.Contains(stderr, "--storage") || !strings.Contains(stderr, "payload limit") {
		t.Errorf("without storage: exit %d, stderr %q; want exit %d and a line naming --storage\n%s", code, stderr, exitFailed, out)
	}
	ow := []string{"--backend", "openwhisk", "--no-deploy"}
	file := "file://" + t.TempDir()
	t.Run("file", func(t *testing.T) {
		checkTransfer(t, env, file, "sim-file", 2, "2e6", append(ow, "--storage", file)...)
	})
	t.Run("s3", func(t *testing.T) {
		u := s3test.Bucket(t)
		checkTransfer(t, env, u, "sim-s3", 2, "2e6", append(ow, "--storage", u)...)
	})
	t.Run("OVERCAST_STORAGE", func(t *testing.T) {
		checkTransfer(t, append(env, "OVERCAST_STORAGE="+file), file, "sim-env", 2, "2e6", ow...)
	})
	if t.Failed() {
		t.Logf("sim log:\n%s", simLog())
	}
}

// TestBigPayloadsOnLambda sends 7 MB to each task and 7 MB back through
// the Lambda Runtime Interface Emulator, over Lambda's 6 MB limit.
func TestBigPayloadsOnLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ep := startRIE(t, binary)
	env := []string{"OVERCAST_HOME=" + t.TempDir()}
	file := "file://" + t.TempDir()
	checkTransfer(t, env, file, "rie-file", 2, "7e6", "--backend", "lambda", "--endpoint", ep, "--storage", file)
}

func TestBadStorageIsAUsageError(t *testing.T) {
	env, st := homeEnv(t)
	for _, s := range []string{"gs://bucket", "bucket", "s3://b?endpoint=http://user:secret@127.0.0.1:1&region=us-east-1", "s3://b/prefix?region=us-east-1"} {
		for _, e := range [][]string{{"--storage", s}, nil} {
			envs := env
			if e == nil {
				envs = append(env, "OVERCAST_STORAGE="+s)
			}
			out, stderr, code := binIn(t, envs, append([]string{"run", "pi", "--samples", "1e3", "--tasks", "1"}, e...)...)
			if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr+out, "secret") {
				t.Errorf("storage %q (flag %v): exit %d, stderr %q; want exit %d and one line without the secret", s, e != nil, code, stderr, exitUsage)
			}
		}
	}
	if sums, _ := st.List(); len(sums) != 0 {
		t.Errorf("runs refused for their storage were journaled: %v", sums)
	}
}

// TestBadDataURLIsAUsageError gives the data commands an --input or
// --output that is no storage URL: exit 2 and one line, as --storage's.
func TestBadDataURLIsAUsageError(t *testing.T) {
	t.Setenv("OVERCAST_JOURNAL", "off")
	dir := "file://" + t.TempDir()
	for _, args := range [][]string{
		{"run", "wordcount", "--input", "ftp://host/text"},
		{"run", "sort", "--input", "ftp://host/in", "--output", dir + "/out/"},
		{"validate", "sort", "--input", "ftp://host/in", "--output", dir + "/out/"},
		{"run", "mandelbrot", "--width", "8", "--height", "8", "--tasks", "1", "--output", "/dev/null", "--storage", "data"},
		{"gen", "sort", "--size", "1e3", "--output", "ftp://host/in"},
	} {
		var stdout, stderr strings.Builder
		code := Run(context.Background(), args, &stdout, &stderr)
		if line := strings.TrimSpace(stderr.String()); code != exitUsage || strings.Contains(line, "\n") || !strings.Contains(line, "storage") {
			t.Errorf("overcast %v: exit %d, stderr %q; want exit %d and one line", args, code, stderr.String(), exitUsage)
		}
	}
}

func TestJobRecordsItsStorage(t *testing.T) {
	env, st := homeEnv(t)
	file := "file://" + t.TempDir()
	_, stderr, code := binIn(t, append(env, "OVERCAST_STORAGE="+file), "run", "pi", "--samples", "1e3", "--tasks", "2", "--job-id", "rec-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	j, err := st.Read("rec-1")
	if err != nil || j.Spec.Storage != file {
		t.Fatalf("journal records storage %q, %v; want %q", j.Spec.Storage, err, file)
	}
	args := strings.Join(resumeArgs(j, nil), " ")
	if !strings.Contains(args, "--storage "+file) {
		t.Errorf("resume runs %q, without the job's storage", args)
	}
	j.Spec.Args = append(j.Spec.Args, "--storage="+file)
	if args := resumeArgs(j, nil); strings.Count(strings.Join(args, " "), "--storage") != 1 {
		t.Errorf("resume of a job given --storage runs %q", args)
	}
	out, _, _ := binIn(t, env, "jobs", "show", "rec-1")
	if !strings.Contains(out, "storage  "+file) {
		t.Errorf("jobs show does not name the storage:\n%s", out)
	}
	// The same job id with other storage is another job's data.
	_, stderr, code = binIn(t, append(env, "OVERCAST_STORAGE=mem://other"), "run", "pi", "--samples", "1e3", "--tasks", "2", "--job-id", "rec-1")
	if code == 0 || !strings.Contains(stderr, "storage") {
		t.Errorf("rerun with other storage: exit %d, %s; want a refusal naming the storage", code, stderr)
	}
}

// TestJobsCleanWithoutCredentials cleans a job whose data is in S3 with no
// AWS credentials: one line that names the job and says none were found
// and where they were looked for, exit 1, and the journal kept (it names
// the storage whose data is still to remove).
func TestJobsCleanWithoutCredentials(t *testing.T) {
	u := s3test.Bucket(t)
	home := t.TempDir()
	env := append([]string{"OVERCAST_HOME=" + home}, s3test.Env()...)
	args := []string{"run", "transfer", "--in-bytes", "2e6", "--out-bytes", "10", "--tasks", "2", "--job-id", "s3job", "--storage", u, "--no-progress"}
	if _, stderr, code := binIn(t, env, args...); code != 0 {
		t.Fatalf("overcast %v: exit %d: %s", args, code, stderr)
	}
	bare := append(noCredentialsEnv(t), "OVERCAST_HOME="+home, "OVERCAST_JOURNAL=")
	_, stderr, code := runIn(t, binary, t.TempDir(), bare, "jobs", "clean", "s3job")
	if code != 1 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("jobs clean without credentials: exit %d, stderr %q; want exit 1 and one line", code, stderr)
	}
	for _, want := range []string{"job s3job", "no AWS credentials found", "AWS_ACCESS_KEY_ID", os.DevNull, "instance role"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	for _, wrong := range []string{"operation error", "IMDS", "failed to refresh cached credentials", "secret"} {
		if strings.Contains(stderr, wrong) {
			t.Errorf("stderr %q says %q", stderr, wrong)
		}
	}
	if out, _, code := binIn(t, env, "jobs", "show", "s3job"); code != 0 || !strings.Contains(out, "job      s3job") {
		t.Errorf("the journal is gone after a clean that removed no data: exit %d\n%s", code, out)
	}
}
