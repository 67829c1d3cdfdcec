package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/sim"
)

type wordcountResult struct {
	Backend string `json:"backend"`
	Answer  struct {
		Total    int64 `json:"total_words"`
		Distinct int64 `json:"distinct_words"`
	} `json:"answer"`
	Check struct {
		OK bool `json:"ok"`
	} `json:"check"`
	Complete     bool  `json:"complete"`
	ReadBytes    int64 `json:"read_bytes"`
	WrittenBytes int64 `json:"written_bytes"`
}

// wcW counts the words of a file with LC_ALL=C wc -w.
func wcW(t *testing.T, path string) int64 {
	if _, err := exec.LookPath("wc"); err != nil {
		testpeer.Skip(t, "wc is not installed (coreutils)")
	}
	cmd := exec.Command("wc", "-w", path)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	return n
}

// genText writes generated text from a small word list into dir/in/.
func genText(t *testing.T, dir string, size int) string {
	words := filepath.Join(dir, "words")
	var list strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&list, "word%d\n", i)
	}
	os.WriteFile(words, []byte(list.String()), 0o644)
	path := filepath.Join(dir, "in", "text.txt")
	stdout, stderr, code := runEnv(t, nil, "gen", "text", "--size", strconv.Itoa(size), "--seed", "5",
		"--words", words, "--output", "file://"+path)
	if code != 0 {
		t.Fatalf("gen text: exit %d: %s %s", code, stdout, stderr)
	}
	return path
}

func runWordcount(t *testing.T, env []string, args ...string) wordcountResult {
	t.Helper()
	stdout, stderr, code := runEnv(t, env, append([]string{"run", "wordcount", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("wordcount %v: exit %d: %s\n%s", args, code, stderr, stdout)
	}
	var r wordcountResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return r
}

// TestWordcountLocalAndSim counts generated text on the local backend and
// on the sim's actionloop processes, with the data in a file bucket, and
// checks both against wc -w and each other, output objects included.
func TestWordcountLocalAndSim(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	dir := t.TempDir()
	input := genText(t, dir, 400_000)
	want := wcW(t, input)
	args := []string{"--input", "file://" + dir + "/in/", "--chunk-size", "3e4", "--reducers", "3"}
	local := runWordcount(t, nil, append(args, "--output", "file://"+dir+"/local/")...)
	if local.Answer.Total != want || !local.Check.OK || !local.Complete {
		t.Fatalf("local: %+v, wc -w says %d", local, want)
	}
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeProcess, Concurrency: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := []string{"WHISK_APIHOST=" + s.APIHost(), "WHISK_AUTH=" + s.Auth(), "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	ow := runWordcount(t, env, append(args, "--output", "file://"+dir+"/sim/", "--backend", "openwhisk")...)
	if ow.Backend != "openwhisk" || ow.Answer != local.Answer || !ow.Check.OK {
		t.Fatalf("sim: %+v, local %+v", ow, local)
	}
	// The tasks' storage bytes come back in the answers of in-process
	// tasks and of actionloop processes alike: the mappers read the input
	// and the reducers what the mappers wrote, the same on both.
	fi, _ := os.Stat(input)
	if local.ReadBytes <= fi.Size() || local.WrittenBytes == 0 || ow.ReadBytes != local.ReadBytes || ow.WrittenBytes != local.WrittenBytes {
		t.Errorf("storage bytes: local %d read, %d written; sim %d and %d; the input is %d bytes",
			local.ReadBytes, local.WrittenBytes, ow.ReadBytes, ow.WrittenBytes, fi.Size())
	}
	if a, b := outputLines(t, dir+"/local"), outputLines(t, dir+"/sim"); a != b || a == 0 {
		t.Fatalf("output lines: local %d, sim %d", a, b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "in", "overcast", "*", "shuffle", "*", "*", "*")); len(left) > 0 {
		t.Fatalf("intermediate objects left: %v", left)
	}
}

// TestWordcountS3 counts text held by a real S3 server (versitygw) on the
// local backend and on a sim whose tasks run in processes that get AWS
// credentials only from the action's deploy (--storage-credentials), the
// intermediate data and the outputs in the same bucket.
func TestWordcountS3(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	srv := s3test.Start(t)
	bucketURL, query, _ := strings.Cut(srv.Bucket(t), "?")
	name := strings.TrimPrefix(bucketURL, "s3://")
	at := func(key string) string { return bucketURL + "/" + key + "?" + query }
	dir := t.TempDir()
	local := genText(t, dir, 300_000)
	env := append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, s3test.Env()...)
	data, _ := os.ReadFile(local)
	if err := os.MkdirAll(filepath.Join(srv.Dir, name, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The server keeps each object in a file of its folder.
	if _, stderr, code := runEnv(t, env, "gen", "text", "--size", strconv.Itoa(len(data)), "--seed", "5",
		"--words", filepath.Join(dir, "words"), "--output", at("in/text.txt")); code != 0 {
		t.Fatalf("gen text to S3: %s", stderr)
	}
	want := wcW(t, filepath.Join(srv.Dir, name, "in", "text.txt"))
	args := []string{"--input", at("in/"), "--chunk-size", "4e4", "--reducers", "2"}
	onLocal := runWordcount(t, env, append(args, "--output", at("local/"))...)
	if onLocal.Answer.Total != want || !onLocal.Check.OK {
		t.Fatalf("local: %+v, wc -w says %d", onLocal, want)
	}
	host, _ := startSimWith(t, "user:pass", "--mode", "process")
	props := filepath.Join(dir, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+host+"\nAUTH=user:pass\n"), 0o600)
	onSim := runWordcount(t, append(env, "WSK_CONFIG_FILE="+props), append(args, "--output", at("sim/"), "--backend", "openwhisk", "--storage-credentials")...)
	if onSim.Answer != onLocal.Answer || !onSim.Check.OK || onSim.Backend != "openwhisk" {
		t.Fatalf("sim: %+v, local %+v", onSim, onLocal)
	}
	a, b := outputLines(t, filepath.Join(srv.Dir, name, "local")), outputLines(t, filepath.Join(srv.Dir, name, "sim"))
	if int64(a) != onLocal.Answer.Distinct || a != b {
		t.Fatalf("output lines: local %d, sim %d, want %d", a, b, onLocal.Answer.Distinct)
	}
}

// outputLines counts the lines of the part objects in dir.
func outputLines(t *testing.T, dir string) int {
	parts, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	n := 0
	for _, p := range parts {
		if strings.HasSuffix(p, ".attrs") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(data), "\n")
	}
	return n
}

func TestWordcountBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "t.txt"), []byte("a b\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "out"), 0o755)
	os.WriteFile(filepath.Join(dir, "out", "part-00000-x"), []byte("old"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, exitUsage, "needs --input"},
		{[]string{"--input", "file://" + dir + "/t.txt", "--reducers", "0"}, exitUsage, "--reducers"},
		{[]string{"--input", "file://" + dir + "/missing.txt"}, 1, "missing.txt"},
		{[]string{"--input", "ftp://x/y"}, exitUsage, "unknown scheme"},
		{[]string{"--input", "file://" + dir + "/t.txt", "--output", "file://" + dir + "/out/"}, 1, "already holds"},
	} {
		stdout, stderr, code := runEnv(t, nil, append([]string{"run", "wordcount"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q), stdout %q", tc.args, code, tc.code, stderr, tc.want, stdout)
		}
	}
}
