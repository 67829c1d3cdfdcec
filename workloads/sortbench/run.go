package sortbench

import (
	"context"
	"errors"
	"fmt"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/shuffle"
)

// Config is one sort job.
type Config struct {
	// Input is the URL of the input object or prefix; Output the URL of
	// the prefix the reducers write part-NNNNN-<attempt> objects under,
	// which must hold none yet.
	Input, Output string
	// Storage is the bucket URL of the intermediate objects (under
	// overcast/<job-id>/shuffle/): deleted when the sort succeeds, kept
	// for overcast jobs clean when it fails.
	Storage string
	// JobID names the job's data; empty means the executor's job id.
	JobID string
	// Mappers is about how many chunks the input is cut into; Reducers is
	// the number of output partitions.
	Mappers, Reducers int
	// SamplesPer is how many keys are sampled per partition; zero means 1000.
	SamplesPer int
}

// Result is what a sort did.
type Result struct {
	Records    int64    `json:"records"`
	Bytes      int64    `json:"bytes"`
	Partitions int      `json:"partitions"`
	Sum        Checksum `json:"checksum"`
	// Outputs are the keys of the output objects, in order.
	Outputs []string `json:"outputs"`
	// IO counts the storage requests and bytes of the whole sort.
	IO IO `json:"io"`
}

// Run sorts cfg.Input into cfg.Output on ex with the shuffle: it samples
// splitters, cuts the input into record-aligned chunks, runs Job, and
// checks that the reducers wrote exactly the records the mappers read
// (count and checksum). On a failed task the report still tells what ran.
func Run(ctx context.Context, ex *overcast.Executor, cfg Config) (*Result, *overcast.Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, nil, err
	}
	in, err := OpenDataSet(ctx, cfg.Input)
	if err != nil {
		return nil, nil, fmt.Errorf("input: %w", err)
	}
	defer in.Bucket.Close()
	split, sampled, err := Splitters(ctx, in, cfg.Reducers, cfg.SamplesPer)
	if err != nil {
		return nil, nil, err
	}
	chunks, err := chunk(ctx, in, cfg.Mappers)
	if err != nil {
		return nil, nil, err
	}
	sr, err := Job.Run(ctx, ex, chunks, shuffle.Config[string]{Storage: cfg.Storage, Output: cfg.Output,
		Reducers: cfg.Reducers, Splitters: split, JobID: cfg.JobID, KeepIntermediate: true})
	if sr == nil {
		return nil, nil, err
	}
	rep := sr.Report()
	if err != nil {
		return nil, rep, err
	}
	res := &Result{Bytes: in.Size, Partitions: len(sr.Outputs), Outputs: sr.Outputs, Sum: countedSum(sr.ReduceCounters)}
	res.Records = int64(res.Sum.Records)
	inter, err := cleanIntermediate(ctx, cfg.Storage, sr.JobID)
	res.IO = sortIO(in, chunks, sampled, inter, sr)
	if err != nil {
		return res, rep, err
	}
	return res, rep, check(in, sr)
}

func (cfg *Config) defaults() error {
	switch {
	case cfg.Mappers < 1 || cfg.Reducers < 1:
		return fmt.Errorf("need at least 1 mapper and 1 reducer, got %d and %d", cfg.Mappers, cfg.Reducers)
	case cfg.Storage == "":
		return errors.New("need a storage URL for the intermediate objects")
	case cfg.Output == "":
		return errors.New("need an output URL")
	}
	if cfg.SamplesPer <= 0 {
		cfg.SamplesPer = 1000
	}
	return nil
}

// chunk cuts the input into about n chunks of whole records.
func chunk(ctx context.Context, in *DataSet, n int) ([]overcast.Chunk, error) {
	keys := make([]string, len(in.Objects))
	for i, o := range in.Objects {
		keys[i] = o.Key
	}
	size := max(1, (in.Records()+int64(n)-1)/int64(n)) * RecordSize
	chunks, err := overcast.Partition(ctx, in.Bucket, keys, size, overcast.FixedRecords(RecordSize))
	if err != nil {
		return nil, fmt.Errorf("partition the input: %w", err)
	}
	return chunks, nil
}

// check compares what the reducers wrote with what the mappers read and
// with the input's size.
func check(in *DataSet, sr *shuffle.Result) error {
	read, wrote := countedSum(sr.MapCounters), countedSum(sr.ReduceCounters)
	switch {
	case read.Records != uint64(in.Records()):
		return fmt.Errorf("mappers read %d records of %d", read.Records, in.Records())
	case wrote != read:
		return fmt.Errorf("the reducers wrote %d records, other than the %d the mappers read (checksums %s and %s)",
			wrote.Records, read.Records, wrote, read)
	}
	return nil
}
