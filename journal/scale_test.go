package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
)

func init() {
	overcast.Register("scale/small", func(_ context.Context, i int) (int, error) { return i % 1000, nil })
}

// runSmall runs n tasks with small outputs on the local backend, journaled
// in st, and returns the futures and the recorder, not yet ended.
func runSmall(t *testing.T, st *journal.Store, id, backend string, n int) (*overcast.Futures[int], *journal.Recorder) {
	t.Helper()
	rec, err := st.Record(journal.Spec{ID: id, Workload: "scale", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, backend, &overcast.Options{JobID: id, Journal: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	ins := make([]int, n)
	for i := range ins {
		ins[i] = i
	}
	f := overcast.Map[int, int](ctx, ex, "scale/small", ins)
	if _, err := f.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	return f, rec
}

// The journal of a job of many tasks with small outputs takes at most 150
// bytes per finished task (the file's size, which does not depend on
// timing).
func TestJournalBytesPerFinishedTask(t *testing.T) {
	const n, limit = 200_000, 150
	st := journal.New(t.TempDir())
	_, rec := runSmall(t, st, "bytes", "local", n)
	if err := rec.End(journal.Done, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(st.Root(), "bytes", "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	if per := float64(fi.Size()) / n; per > limit {
		t.Fatalf("journal of %d finished tasks: %d bytes, %.0f a task; want at most %d", n, fi.Size(), per, limit)
	}
	j, err := st.ReadSummary("bytes")
	if err != nil || j.DoneTasks != n {
		t.Fatalf("summary %+v, %v", j, err)
	}
}

// What a driver keeps of a journaled job of a million tasks, its outputs
// included, is at most 250 bytes a task: the live heap after a collection,
// measured while the job's futures and journal are still held.
func TestDriverHeapPerTask(t *testing.T) {
	if testing.Short() {
		t.Skip("a million tasks")
	}
	const n, limit = 1_000_000, 250
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := journal.New(t.TempDir())
	f, rec := runSmall(t, st, "heap", "local://?encode=false", n)
	rep := f.Report()
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	runtime.KeepAlive(f)
	runtime.KeepAlive(rep)
	if err := rec.End(journal.Done, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("%.0f heap bytes a task", per)
	if per > limit {
		t.Fatalf("%.0f heap bytes a task after %d journaled tasks; want at most %d", per, n, limit)
	}
}

// jobs show reads a Map's summary: it holds the numbers of every task
// without the tasks, and agrees with a full read.
func TestReadSummaryAgreesWithFullRead(t *testing.T) {
	const n = 5000
	st := journal.New(t.TempDir())
	_, rec := runSmall(t, st, "sum", "local", n)
	if err := rec.End(journal.Done, nil); err != nil {
		t.Fatal(err)
	}
	sum, err := st.ReadSummary("sum")
	if err != nil {
		t.Fatal(err)
	}
	full, err := st.Read("sum")
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Maps) != 1 || sum.Maps[0].Tasks != nil || sum.Maps[0].Summary == nil {
		t.Fatalf("ReadSummary read the tasks: %+v", sum.Maps[0])
	}
	a, b := sum.Stats(), full.Stats()
	if a.Tasks != n || a.Done != b.Done || a.Failed != b.Failed || a.Pending != b.Pending || a.Retries != b.Retries ||
		a.ColdStarts != b.ColdStarts || a.Max != b.Max || !near(a.Median, b.Median) || !near(a.P95, b.P95) {
		t.Fatalf("summary stats %+v, full read's %+v", a, b)
	}
	if fmt.Sprint(a.Failures) != fmt.Sprint(b.Failures) {
		t.Fatalf("failures %v, full read's %v", a.Failures, b.Failures)
	}
}

// near reports whether a is within 1% of b.
func near(a, b time.Duration) bool {
	d := a - b
	return d.Abs()*100 <= b
}
