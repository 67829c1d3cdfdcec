package wordcount

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/textgen"
)

// gcide is the Debian package dict-gcide's dictionary, gzip-compressed.
const gcide = "/usr/share/dictd/gcide.dict.dz"

// singleProcess counts the words of a file in one goroutine with the
// same counter the map tasks use: what a user would write without
// Overcast.
func singleProcess(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	c := NewCounter()
	if _, err := io.CopyBuffer(c, f, make([]byte, 1<<20)); err != nil {
		return 0, err
	}
	c.End()
	return c.Words, nil
}

// benchInput writes the benchmark's text into dir: name "generated" is
// WORDCOUNT_BENCH_BYTES (default 1e9) bytes of Zipf text over the
// wamerican-huge word list, "gcide" the decompressed dict-gcide.
func benchInput(b *testing.B, dir, name string) string {
	path := filepath.Join(dir, name+".txt")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	switch name {
	case "generated":
		size := int64(1e9)
		if s := os.Getenv("WORDCOUNT_BENCH_BYTES"); s != "" {
			if size, err = strconv.ParseInt(s, 10, 64); err != nil {
				b.Fatalf("WORDCOUNT_BENCH_BYTES: %v", err)
			}
		}
		words, err := textgen.LoadWords(textgen.DefaultWords)
		if err != nil {
			b.Fatalf("%v (install the Debian package wamerican-huge)", err)
		}
		if err := textgen.Generate(out, size, 1, words); err != nil {
			b.Fatal(err)
		}
	case "gcide":
		f, err := os.Open(gcide)
		if err != nil {
			b.Fatalf("%v (install the Debian package dict-gcide)", err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, zr); err != nil {
			b.Fatal(err)
		}
	}
	return path
}

// benchChunk is the map task size for size bytes: at least four tasks
// per CPU, so that the last ones end together, and at most 16 MiB. A
// task's word table holds fewer distinct words than a table of the whole
// text and stays closer to the CPU's caches, so with words shuffled in
// hash order smaller tasks count faster than 64 MiB ones (300 MB of
// generated text took 3-15% more CPU time than the single process in
// 37 MB tasks, 4% in 19 MB tasks and 2-3% less in 9 MB tasks).
func benchChunk(size int64) int64 {
	return min(16<<20, size/int64(4*runtime.GOMAXPROCS(0))+1)
}

// passes is how many times an iteration counts a file of size bytes on
// each side: enough for about 400 MB, so that a small file's ratio (a
// pass over dict-gcide's 40 MB takes half a second) is not one short
// measurement's noise.
func passes(size int64) int { return int(max(1, min(20, 4e8/max(size, 1)))) }

// BenchmarkLocalVsSingleProcess counts the same file, in one run, with
// wordcount on the local backend (map tasks of benchChunk bytes, 2
// reducers, the file in a file bucket) and with a single-process Go
// count, passes(size) times an iteration each, alternating the order,
// and reports the ratio of their times (single over overcast), both
// rates and both CPU times (user and system seconds of the process per
// pass, which the machine's other load does not inflate as it does wall
// time). Each side's CPU profile
// samples carry the label side=overcast or side=single.
func BenchmarkLocalVsSingleProcess(b *testing.B) {
	for _, name := range []string{"generated", "gcide"} {
		b.Run(name, func(b *testing.B) {
			path := benchInput(b, b.TempDir(), name)
			fi, _ := os.Stat(path)
			ctx := context.Background()
			ex, err := overcast.NewExecutor(ctx, "local", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ex.Close()
			var single, local time.Duration
			var singleCPU, localCPU float64
			runLocal := func() int64 {
				t0, c0 := time.Now(), cpuSeconds()
				var res *Result
				var err error
				pprof.Do(ctx, pprof.Labels("side", "overcast"), func(ctx context.Context) {
					res, err = Run(ctx, ex, Config{Input: "file://" + path, Reducers: 2, ChunkSize: benchChunk(fi.Size())})
				})
				if err != nil || !res.Checked() {
					b.Fatalf("wordcount: %v", err)
				}
				local += time.Since(t0)
				localCPU += cpuSeconds() - c0
				return res.TotalWords
			}
			runSingle := func() int64 {
				t0, c0 := time.Now(), cpuSeconds()
				var n int64
				var err error
				pprof.Do(ctx, pprof.Labels("side", "single"), func(context.Context) { n, err = singleProcess(path) })
				if err != nil {
					b.Fatal(err)
				}
				single += time.Since(t0)
				singleCPU += cpuSeconds() - c0
				return n
			}
			p := passes(fi.Size())
			for i := 0; b.Loop(); i++ {
				for j := range p {
					var a, s int64
					if (i*p+j)%2 == 0 {
						a, s = runLocal(), runSingle()
					} else {
						s, a = runSingle(), runLocal()
					}
					if a != s {
						b.Fatalf("overcast counted %d words, the single process %d", a, s)
					}
				}
			}
			runs := float64(b.N * p)
			mb := runs * float64(fi.Size()) / 1e6
			b.ReportMetric(single.Seconds()/local.Seconds(), "ratio")
			b.ReportMetric(mb/local.Seconds(), "overcast-MB/s")
			b.ReportMetric(mb/single.Seconds(), "single-MB/s")
			b.ReportMetric(float64(fi.Size())/1e6, "MB")
			b.ReportMetric(localCPU/runs, "overcast-cpu-s")
			b.ReportMetric(singleCPU/runs, "single-cpu-s")
			b.ReportMetric(float64(p), "passes")
		})
	}
}
