package sortbench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// genInput writes objects of the given record counts to a fresh
// directory and returns its URL.
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

// runSort sorts dir/in/ into dir/out/ and validates the output.
func runSort(t *testing.T, ex *overcast.Executor, dir string, cfg Config) (*Result, *overcast.Report) {
	t.Helper()
	ctx := context.Background()
	cfg.Input, cfg.Output, cfg.Storage = dir+"/in/", dir+"/out/", dir
	res, rep, err := Run(ctx, ex, cfg)
	if err != nil {
		t.Fatal(err)
	}
	in, err := OpenDataSet(ctx, dir+"/in/")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Bucket.Close()
	out, err := OpenDataSet(ctx, dir+"/out/")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Bucket.Close()
	if _, err := Validate(ctx, in, out); err != nil {
		t.Fatalf("the sort's output does not validate: %v", err)
	}
	if len(out.Objects) != cfg.Reducers {
		t.Errorf("%d output objects, want %d", len(out.Objects), cfg.Reducers)
	}
	b, _ := storage.Open(ctx, dir)
	defer b.Close()
	if left, _ := b.List(ctx, "overcast/"); len(left) > 0 {
		t.Errorf("intermediate objects were left: %v", left[0].Key)
	}
	return res, rep
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
		res, _ := runSort(t, ex, dir, Config{Mappers: c.mappers, Reducers: c.reducers})
		total := 0
		for _, n := range c.counts {
			total += n
		}
		if res.Records != int64(total) || res.IO.Read < 2*int64(total)*RecordSize {
			t.Errorf("%v: sorted %d records reading %d bytes, want %d records", c, res.Records, res.IO.Read, total)
		}
	}
}

// TestRunSurvivesReducersThatFailAfterWriting fails every reducer's first
// attempt after it has written its first block of records, of two or
// three: the retries' outputs must hold each record once.
func TestRunSurvivesReducersThatFailAfterWriting(t *testing.T) {
	var mu sync.Mutex
	written := map[int]int{}
	reduceHook = func(ctx context.Context, req *worker.Request) error {
		if req == nil || req.Attempt > 1 {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		written[req.Index]++
		if written[req.Index] == 1 {
			return errors.New("injected failure after the first block")
		}
		return nil
	}
	defer func() { reduceHook = nil }()
	ex := localExecutor(t, &overcast.Options{RetryTaskErrors: true, MaxAttempts: 3})
	const n = 70000 // 7 MB: about 2.2 blocks of 1 MiB per reducer
	res, rep := runSort(t, ex, genInput(t, n), Config{Mappers: 4, Reducers: 3})
	if res.Records != n || rep.Retries != 3 {
		t.Fatalf("sorted %d records with %d retries, want %d records and each reducer's first attempt failed", res.Records, rep.Retries, n)
	}
}

func TestRunRefusesAnOutputInUse(t *testing.T) {
	ex := localExecutor(t, nil)
	dir := genInput(t, 100)
	runSort(t, ex, dir, Config{Mappers: 2, Reducers: 2})
	_, _, err := Run(context.Background(), ex, Config{Input: dir + "/in/", Output: dir + "/out/", Storage: dir, Mappers: 2, Reducers: 2})
	if err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("a second sort into the same output: %v", err)
	}
}
