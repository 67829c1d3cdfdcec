package sortbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// Config is one sort job.
type Config struct {
	// Input and Output are URLs: the input object or prefix, and the prefix
	// the output objects part-00000... are written under.
	Input, Output string
	// Storage is the bucket URL for the intermediate objects, written
	// under Prefix; they are deleted when the sort succeeds, and kept for
	// a resumed run (or overcast jobs clean) when it fails.
	Storage, Prefix string
	// Mappers is about how many ranges the input is cut into; Reducers is
	// the number of output partitions.
	Mappers, Reducers int
	// SamplesPer is how many keys are sampled per partition; zero means 1000.
	SamplesPer int
	// MapTask and ReduceTask name the tasks; empty means MapTask and
	// ReduceTask (tests wrap them to fail attempts).
	MapTask, ReduceTask string
}

// Result is what a sort did.
type Result struct {
	Records    int64    `json:"records"`
	Bytes      int64    `json:"bytes"`
	Partitions int      `json:"partitions"`
	Sum        Checksum `json:"checksum"`
	// Splitters are the sampled partition bounds, in hex.
	Splitters []string `json:"-"`
	// Outputs are the keys written, in order.
	Outputs []string `json:"outputs"`
	// IO counts the storage requests made, but for the deletes of the
	// intermediate objects at the end.
	IO IO `json:"io"`
	// TaskSeconds is the time the map and reduce tasks ran, summed: IO's
	// Seconds over it is the tasks' share of time spent in storage.
	TaskSeconds float64 `json:"task_seconds"`
	// Cleanup counts the requests that deleted the intermediate objects.
	Cleanup IO `json:"cleanup_io"`
}

// Reports are the jobs of one sort, in the order they ran.
type Reports struct {
	Map, Reduce *overcast.Report
}

// Run sorts cfg.Input into cfg.Output on ex: it samples splitters, runs a
// mapper per range and a reducer per partition, and checks that the
// reducers wrote, in key order, exactly the records the mappers read.
func Run(ctx context.Context, ex *overcast.Executor, cfg Config) (*Result, *Reports, error) {
	if err := cfg.defaults(); err != nil {
		return nil, nil, err
	}
	in, err := OpenDataSet(ctx, cfg.Input)
	if err != nil {
		return nil, nil, fmt.Errorf("input: %w", err)
	}
	defer in.Bucket.Close()
	outB, outPrefix, err := storage.OpenURL(ctx, cfg.Output)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	defer outB.Close()
	if outPrefix != "" && !strings.HasSuffix(outPrefix, "/") {
		outPrefix += "/"
	}
	t0 := time.Now()
	split, sampled, err := Splitters(ctx, in, cfg.Reducers, cfg.SamplesPer)
	if err != nil {
		return nil, nil, err
	}
	sampled.since(t0)
	reps := &Reports{}
	maps, err := runMaps(ctx, ex, cfg, in, split, reps)
	if err != nil {
		return nil, reps, err
	}
	outs, err := runReduces(ctx, ex, cfg, maps, outB.URL, outPrefix, reps)
	if err != nil {
		return nil, reps, err
	}
	res, err := check(in, split, maps, outs)
	if res != nil {
		res.IO = sampled
		res.IO.Lists++ // OpenDataSet
		for _, m := range maps {
			res.IO.Add(m.IO)
		}
		for _, o := range outs {
			res.IO.Add(o.IO)
		}
		res.Cleanup = cleanup(ctx, cfg)
		res.TaskSeconds = taskSeconds(reps.Map) + taskSeconds(reps.Reduce)
	}
	return res, reps, err
}

func (cfg *Config) defaults() error {
	switch {
	case cfg.Mappers < 1 || cfg.Reducers < 1:
		return fmt.Errorf("need at least 1 mapper and 1 reducer, got %d and %d", cfg.Mappers, cfg.Reducers)
	case cfg.Storage == "" || !strings.HasSuffix(cfg.Prefix, "/") || cfg.Prefix == "/":
		return fmt.Errorf("need a storage URL and a prefix ending in / for the intermediate objects, got %q and %q", cfg.Storage, cfg.Prefix)
	}
	if cfg.SamplesPer <= 0 {
		cfg.SamplesPer = 1000
	}
	if cfg.MapTask == "" {
		cfg.MapTask = MapTask
	}
	if cfg.ReduceTask == "" {
		cfg.ReduceTask = ReduceTask
	}
	return nil
}

func runMaps(ctx context.Context, ex *overcast.Executor, cfg Config, in *DataSet, split [][]byte, reps *Reports) ([]MapOutput, error) {
	var ins []MapInput
	for i, r := range Ranges(in, cfg.Mappers) {
		ins = append(ins, MapInput{Input: in.Bucket.URL, Range: r, Splitters: split,
			Storage: cfg.Storage, Prefix: cfg.Prefix, Index: i})
	}
	f := overcast.Map[MapInput, MapOutput](ctx, ex, cfg.MapTask, ins)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	reps.Map = f.Report()
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return outs, nil
}

func runReduces(ctx context.Context, ex *overcast.Executor, cfg Config, maps []MapOutput, outURL, outPrefix string, reps *Reports) ([]ReduceOutput, error) {
	ins := make([]ReduceInput, cfg.Reducers)
	for r := range ins {
		ins[r] = ReduceInput{Storage: cfg.Storage, Output: outURL, Key: fmt.Sprintf("%spart-%05d", outPrefix, r)}
		for _, m := range maps {
			if n := m.Offsets[r+1] - m.Offsets[r]; n > 0 {
				ins[r].Sources = append(ins[r].Sources, Segment{Key: m.Key, Off: m.Offsets[r], Len: n})
			}
		}
	}
	f := overcast.Map[ReduceInput, ReduceOutput](ctx, ex, cfg.ReduceTask, ins)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	reps.Reduce = f.Report()
	if err != nil {
		return nil, fmt.Errorf("reduce: %w", err)
	}
	return outs, nil
}

// check compares what the reducers wrote with what the mappers read, and
// the partitions' key ranges with each other and the splitters.
func check(in *DataSet, split [][]byte, maps []MapOutput, outs []ReduceOutput) (*Result, error) {
	res := &Result{Bytes: in.Size, Partitions: len(outs)}
	var read Checksum
	for _, m := range maps {
		read.Merge(m.Sum)
	}
	for r, o := range outs {
		res.Sum.Merge(o.Sum)
		res.Outputs = append(res.Outputs, o.Key)
		if o.First == nil {
			continue
		}
		if r > 0 && bytes.Compare(o.First, split[r-1]) < 0 || r < len(split) && bytes.Compare(o.Last, split[r]) >= 0 {
			return res, fmt.Errorf("partition %d holds keys %x..%x outside its bounds", r, o.First, o.Last)
		}
	}
	for _, s := range split {
		res.Splitters = append(res.Splitters, fmt.Sprintf("%x", s))
	}
	res.Records = int64(res.Sum.Records)
	switch {
	case read.Records != uint64(in.Records()):
		return res, fmt.Errorf("mappers read %d records of %d", read.Records, in.Records())
	case res.Sum != read:
		return res, errors.New("the reducers wrote other records than the mappers read (checksums differ)")
	}
	return res, nil
}

// cleanup deletes the intermediate objects, of every attempt.
func cleanup(ctx context.Context, cfg Config) IO {
	ctx = context.WithoutCancel(ctx)
	b, err := storage.Open(ctx, cfg.Storage)
	if err != nil {
		return IO{}
	}
	defer b.Close()
	n, _ := b.RemoveAll(ctx, cfg.Prefix) // what is left, jobs clean removes
	return IO{Lists: 1, Deletes: int64(n)}
}

// taskSeconds sums the worker-measured run time of a job's tasks.
func taskSeconds(r *overcast.Report) float64 {
	var s float64
	for _, t := range r.Records {
		if t.End > t.Start {
			s += float64(t.End-t.Start) / 1e9
		}
	}
	return s
}
