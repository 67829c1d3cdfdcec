package sortbench_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/workloads/sortbench"
)

// sortBytes is the data set BenchmarkLocalVsGNUSort sorts: 1 GB.
const sortBytes = 1e9

// BenchmarkLocalVsGNUSort sorts 1 GB of gensort records on the local
// backend (16 map and 16 reduce tasks, input, intermediate objects and
// output in a directory) and the same records as text lines with GNU sort
// (LC_ALL=C, its default threads), alternately, and reports both rates,
// their ratio (overcast's rate over sort's) and overcast's storage
// requests and bytes per GB sorted. A line is the key in hex, which sorts
// as the binary key does, and the record's other bytes but the last, which
// hold no newline: 110 bytes a record.
func BenchmarkLocalVsGNUSort(b *testing.B) {
	gnu, err := exec.LookPath("sort")
	if err != nil {
		testpeer.Skip(b, "no sort on PATH (coreutils)")
	}
	ctx := context.Background()
	dir := b.TempDir()
	genBoth(b, dir)
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	cfg := sortbench.Config{Input: "file://" + dir + "/in/", Output: "file://" + dir + "/out/",
		Storage: "file://" + dir, Mappers: 16, Reducers: 16}
	var ours, theirs time.Duration
	var used sortbench.IO
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		res, _, err := sortbench.Run(ctx, ex, cfg)
		ours += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		used.Add(res.IO)
		if i == 0 {
			validate(b, cfg)
		}
		if err := os.RemoveAll(filepath.Join(dir, "out")); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		cmd := exec.Command(gnu, "-o", filepath.Join(dir, "out.txt"), filepath.Join(dir, "in.txt"))
		cmd.Env = append(os.Environ(), "LC_ALL=C", "TMPDIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sort: %v: %s", err, out)
		}
		theirs += time.Since(t0)
	}
	n, gb := float64(b.N), float64(b.N)*sortBytes/1e9
	b.ReportMetric(sortBytes*n/ours.Seconds()/1e6, "overcast-MB/s")
	b.ReportMetric(sortBytes*n/theirs.Seconds()/1e6, "gnusort-MB/s")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ratio")
	b.ReportMetric(float64(used.Requests())/gb, "requests/GB")
	b.ReportMetric(float64(used.Read+used.Written)/gb/1e9, "storage-GB/GB")
}

// genBoth writes the records as in/data and as text lines as in.txt.
func genBoth(b *testing.B, dir string) {
	ctx := context.Background()
	bkt, err := storage.Open(ctx, "file://"+dir)
	if err != nil {
		b.Fatal(err)
	}
	defer bkt.Close()
	if err := sortbench.Generate(ctx, bkt, "in/data", sortBytes, 0); err != nil {
		b.Fatal(err)
	}
	in, err := os.Open(filepath.Join(dir, "in", "data"))
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "in.txt"))
	if err != nil {
		b.Fatal(err)
	}
	r, w := bufio.NewReaderSize(in, 1<<20), bufio.NewWriterSize(out, 1<<20)
	rec := make([]byte, sortbench.RecordSize)
	line := make([]byte, 2*sortbench.KeySize+sortbench.RecordSize-sortbench.KeySize)
	for {
		if _, err := io.ReadFull(r, rec); err == io.EOF {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		hex.Encode(line, rec[:sortbench.KeySize])
		copy(line[2*sortbench.KeySize:], rec[sortbench.KeySize:sortbench.RecordSize-1])
		line[len(line)-1] = '\n'
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// validate checks the sort's output against its input.
func validate(b *testing.B, cfg sortbench.Config) {
	ctx := context.Background()
	in, err := sortbench.OpenDataSet(ctx, cfg.Input)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Bucket.Close()
	out, err := sortbench.OpenDataSet(ctx, cfg.Output)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Bucket.Close()
	if _, err := sortbench.Validate(ctx, in, out); err != nil {
		b.Fatal(err)
	}
}
