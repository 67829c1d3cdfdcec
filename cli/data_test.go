package cli

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/s3test"
)

// objectURL puts key into a bucket URL, before its query.
func objectURL(bucket, key string) string {
	base, query, _ := strings.Cut(bucket, "?")
	if query != "" {
		query = "?" + query
	}
	return base + "/" + key + query
}

// dataPlace is where a data test's objects live and where its tasks run.
type dataPlace struct {
	name   string
	bucket func(t *testing.T) string
	env    func(t *testing.T) []string // nil: this process's
	flags  []string
}

// dataPlaces are the local backend and the sim (workers as processes),
// each with data in a directory and in a real S3 server (versitygw). The
// sim's actions see only __OW_ variables and their init parameters, as
// OpenWhisk's do, so its workers reach S3 with the credentials that
// --storage-credentials deploys.
func dataPlaces() []dataPlace {
	file := func(t *testing.T) string { return "file://" + t.TempDir() }
	s3 := func(t *testing.T) string { return s3test.Bucket(t) }
	onSim := func(t *testing.T) []string {
		home := t.TempDir()
		return append(s3test.Env(), "WSK_CONFIG_FILE="+simProps(t), "HOME="+home, "PATH="+os.Getenv("PATH"))
	}
	ow := []string{"--backend", "openwhisk"}
	return []dataPlace{
		{"local-file", file, nil, nil},
		{"local-s3", s3, nil, nil},
		{"sim-file", file, onSim, ow},
		{"sim-s3", s3, onSim, append(ow, "--storage-credentials")},
	}
}

func (p dataPlace) run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	if env == nil {
		return runBin(t, args...)
	}
	return runEnv(t, env, args...)
}

type sortResult struct {
	Backend string `json:"backend"`
	Answer  struct {
		Records    int64    `json:"records"`
		Partitions int      `json:"partitions"`
		Outputs    []string `json:"outputs"`
	} `json:"answer"`
	Check struct {
		OK bool `json:"ok"`
	} `json:"check"`
	Complete bool `json:"complete"`
}

func TestSortEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	for _, p := range dataPlaces() {
		t.Run(p.name, func(t *testing.T) {
			var env []string
			if p.env != nil {
				env = p.env(t)
			}
			bucket := p.bucket(t)
			in, out := objectURL(bucket, "data/in"), objectURL(bucket, "data/out/")
			stdout, stderr, code := p.run(t, env, "gen", "sort", "--size", "3e6", "--output", in)
			if want := "wrote 30000 records (3000000 bytes) to " + in + "\n"; code != 0 || stdout != want {
				t.Fatalf("gen sort: exit %d, printed %q, want %q: %s", code, stdout, want, stderr)
			}
			args := append([]string{"run", "sort", "--input", in, "--output", out, "--tasks", "5", "--reducers", "3",
				"--storage", bucket, "--json"}, p.flags...)
			stdout, stderr, code = p.run(t, env, args...)
			var r sortResult
			if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
				t.Fatalf("run sort: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
			}
			if !r.Complete || !r.Check.OK || r.Answer.Records != 30000 || r.Answer.Partitions != 3 {
				t.Fatalf("run sort answered %s", stdout)
			}
			stdout, stderr, code = p.run(t, env, "validate", "sort", "--input", in, "--output", out)
			if code != 0 || !strings.HasPrefix(stdout, "ok: 30000 records sorted in 3 objects") {
				t.Fatalf("validate sort: exit %d: %s%s", code, stdout, stderr)
			}
			// The input is not sorted: as an output it must fail, in one line.
			stdout, stderr, code = p.run(t, env, "validate", "sort", "--input", in, "--output", in)
			if code != 1 || !strings.Contains(stderr, "sorts before") || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("validate of unsorted data: exit %d: %s%s", code, stdout, stderr)
			}
		})
	}
}

func TestMandelbrotEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	for _, p := range dataPlaces() {
		t.Run(p.name, func(t *testing.T) {
			var env []string
			if p.env != nil {
				env = p.env(t)
			}
			file := filepath.Join(t.TempDir(), "m.png")
			args := append([]string{"run", "mandelbrot", "--width", "320", "--height", "200", "--tasks", "9",
				"--output", file, "--storage", p.bucket(t), "--json"}, p.flags...)
			stdout, stderr, code := p.run(t, env, args...)
			if code != 0 || !strings.Contains(stdout, `"ok": true`) {
				t.Fatalf("exit %d: %s\n%s", code, stdout, stderr)
			}
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Fatalf("the PNG's mode is %v, want -rw-r--r-- as a file the user made", fi.Mode())
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil || img.Bounds().Dx() != 320 || img.Bounds().Dy() != 200 {
				t.Fatalf("the PNG: %v, %v", err, img.Bounds())
			}
		})
	}
}

func TestDataCommandsRejectBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gen", "sort", "--size", "150", "--output", "file://" + dir + "/x"}, 2, "multiple of the 100-byte record"},
		{[]string{"gen", "sort", "--size", "100"}, 2, "needs --output"},
		{[]string{"gen", "sort", "--output", "ftp://x/y"}, 2, "unknown scheme"},
		{[]string{"gen", "nothing"}, 2, "unknown kind of data \"nothing\""},
		{[]string{"validate", "sort", "--input", "file://" + dir + "/none", "--output", "file://" + dir + "/"}, 1, "no such object"},
		{[]string{"run", "sort", "--input", "file://" + dir + "/x"}, 2, "needs --input URL and --output URL"},
		{[]string{"run", "sort", "--input", "a", "--output", "b", "--tasks", "0"}, 2, "must be at least 1"},
		{[]string{"run", "mandelbrot", "--width", "10"}, 2, "needs --output"},
		{[]string{"run", "mandelbrot", "--width", "0", "--output", dir + "/m.png"}, 2, "must be at least 1"},
		{[]string{"run", "mandelbrot", "--width", "70000", "--output", dir + "/m.png"}, 2, "at most 65536"},
		{[]string{"run", "mandelbrot", "--height", "10", "--tasks", "11", "--output", dir + "/m.png"}, 2, "tasks must be between"},
	} {
		_, stderr, code := runBin(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("overcast %v: exit %d, stderr %q; want exit %d and one line saying %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
