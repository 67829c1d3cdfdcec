package sortbench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/storage"
)

// genInput writes n records in objects of the given record counts to a
// fresh directory and returns its URL.
func genInput(t *testing.T, counts ...int) string {
	t.Helper()
	ctx := context.Background()
	dir := "file://" + t.TempDir()
	b, err := storage.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	first := uint64(0)
	for i, c := range counts {
		if err := Generate(ctx, b, fmt.Sprintf("in/%03d", i), int64(c)*RecordSize, first); err != nil {
			t.Fatal(err)
		}
		first += uint64(c)
	}
	return dir
}

func runSort(t *testing.T, ex *overcast.Executor, dir string, cfg Config) (*Result, *Reports, error) {
	t.Helper()
	cfg.Input, cfg.Output, cfg.Storage, cfg.Prefix = dir+"/in/", dir+"/out/", dir, "tmp/job/"
	res, reps, err := Run(context.Background(), ex, cfg)
	if err != nil {
		return res, reps, err
	}
	in, err := OpenDataSet(context.Background(), dir+"/in/")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Bucket.Close()
	out, err := OpenDataSet(context.Background(), dir+"/out/")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Bucket.Close()
	if _, err := Validate(context.Background(), in, out); err != nil {
		t.Fatalf("the sort's output does not validate: %v", err)
	}
	if len(out.Objects) != cfg.Reducers {
		t.Errorf("%d output objects, want %d", len(out.Objects), cfg.Reducers)
	}
	return res, reps, nil
}

func localExecutor(t *testing.T, opts *overcast.Options) *overcast.Executor {
	t.Helper()
	ex, err := overcast.NewExecutor(context.Background(), "local", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	return ex
}

func TestRunSorts(t *testing.T) {
	ex := localExecutor(t, nil)
	for _, c := range []struct {
		counts            []int
		mappers, reducers int
	}{
		{[]int{5000}, 4, 3},
		{[]int{1234, 0, 777, 1}, 5, 7},
		{[]int{10}, 3, 20}, // more partitions than records: some are empty
		{[]int{3000}, 1, 1},
	} {
		dir := genInput(t, c.counts...)
		res, _, err := runSort(t, ex, dir, Config{Mappers: c.mappers, Reducers: c.reducers})
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		total := 0
		for _, n := range c.counts {
			total += n
		}
		if res.Records != int64(total) {
			t.Errorf("%v: sorted %d records, want %d", c, res.Records, total)
		}
		b, _ := storage.Open(context.Background(), dir)
		if ok, _ := b.Exists(context.Background(), "tmp/job/"); ok {
			t.Errorf("%v: intermediate objects were left", c)
		}
		b.Close()
	}
}

// failOnce wraps a task so that the first attempt at each input does the
// task's work, writes included, and then fails.
func failOnce[In, Out any](name string, fn func(context.Context, In) (Out, error), id func(In) string) {
	var mu sync.Mutex
	seen := map[string]bool{}
	overcast.Register(name, func(ctx context.Context, in In) (Out, error) {
		out, err := fn(ctx, in)
		mu.Lock()
		first := !seen[id(in)]
		seen[id(in)] = true
		mu.Unlock()
		if first && err == nil {
			return out, errors.New("injected failure after the work was done")
		}
		return out, err
	})
}

func init() {
	failOnce("sort/map-fails-once", Map, func(in MapInput) string { return fmt.Sprint(in.Range) })
	failOnce("sort/reduce-fails-once", Reduce, func(in ReduceInput) string { return in.Key })
}

func TestRunSurvivesAttemptsThatFailAfterWriting(t *testing.T) {
	ex := localExecutor(t, &overcast.Options{RetryTaskErrors: true, MaxAttempts: 3})
	dir := genInput(t, 4000)
	res, reps, err := runSort(t, ex, dir, Config{Mappers: 4, Reducers: 3,
		MapTask: "sort/map-fails-once", ReduceTask: "sort/reduce-fails-once"})
	if err != nil {
		t.Fatal(err)
	}
	if reps.Map.Retries != 4 || reps.Reduce.Retries != 3 {
		t.Fatalf("%d map and %d reduce retries, want every task's first attempt to fail", reps.Map.Retries, reps.Reduce.Retries)
	}
	if res.Records != 4000 {
		t.Fatalf("sorted %d records, want 4000", res.Records)
	}
}
