package wordcount

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/textgen"
)

// TestRecordsCountTaskIO runs a word count on file:// storage and checks
// the bytes each phase's records say its tasks read and wrote against
// what they moved: the mappers read the input, every byte once, and wrote
// the intermediate objects; the reducers read those and wrote the output
// files on disk.
func TestRecordsCountTaskIO(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	var input int64
	for i := range 3 {
		var buf bytes.Buffer
		if err := textgen.Generate(&buf, int64(30_000+7_000*i), int64(i), []string{"alpha", "beta", "gamma", "delta", fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("%d.txt", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		input += int64(buf.Len())
	}
	ex, err := overcast.NewExecutor(ctx, "local", &overcast.Options{Storage: "file://" + dir + "/tmp"})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	res, err := Run(ctx, ex, Config{Input: "file://" + dir + "/in/", Output: "file://" + dir + "/out/", ChunkSize: 8000, Reducers: 3})
	if err != nil {
		t.Fatal(err)
	}
	mapIO, reduceIO := sumIO(res.Shuffle.Map), sumIO(res.Shuffle.Reduce)
	shuffled := res.Shuffle.MapCounters["shuffle_bytes"]
	if shuffled == 0 {
		t.Fatal("the mappers wrote nothing")
	}
	output := dirSize(t, filepath.Join(dir, "out"))
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"mappers read (the input)", mapIO[0], input},
		{"mappers wrote (the intermediate objects)", mapIO[1], shuffled},
		{"reducers read (the intermediate objects)", reduceIO[0], shuffled},
		{"reducers wrote (the output files)", reduceIO[1], output},
	} {
		if c.got != c.want {
			t.Errorf("%s: records say %d bytes, want %d", c.what, c.got, c.want)
		}
	}
	// A task that ran once: the report's sums over every attempt are
	// the records'.
	joined := res.Shuffle.Report()
	if tl := joined.Records.Tally(); joined.ReadBytes != tl.ReadBytes || joined.WrittenBytes != tl.WrittenBytes ||
		tl.ReadBytes != input+shuffled || tl.WrittenBytes != shuffled+output {
		t.Errorf("report: %d read, %d written; records: %+v", joined.ReadBytes, joined.WrittenBytes, tl)
	}
}

// sumIO sums a phase's records' bytes read and written.
func sumIO(r *overcast.Report) [2]int64 {
	var s [2]int64
	for i := range r.Records.Len() {
		rd, wr := r.Records.IO(i)
		s[0] += rd
		s[1] += wr
	}
	return s
}

// dirSize sums the sizes of the files under dir, hidden ones and the
// driver's manifest (_manifest) aside.
func dirSize(t *testing.T, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
