package shuffle

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"unsafe"

	"github.com/overcast-sc/overcast"
)

// Job is the definition of a MapReduce job over keys K and values V.
type Job[K cmp.Ordered, V any] struct {
	// Name prefixes the job's task names: Name+"/map" and Name+"/reduce".
	Name string
	// Map reads one chunk of the input and emits pairs.
	Map func(ctx context.Context, in overcast.Chunk, emit func(K, V)) error
	// Combine, when set, merges two values of one key on the map side, so
	// that a mapper writes each key once. It must be associative and
	// commutative.
	Combine func(a, b V) V
	// Unordered frees the job from the key order: mappers order their
	// pairs by a hash of the key's encoding, comparing integers instead of
	// keys, and Reduce gets each key once with all its values in that
	// order, which is fixed but of no use. It costs much less than sorting
	// by key when keys are many, as a word count's are.
	Unordered bool
	// Reduce gets each key of a partition once, in increasing order, with
	// all its values, and writes what it makes of them to out, the
	// reducer's output object (io.Discard when the run has no Output).
	Reduce func(ctx context.Context, key K, values iter.Seq[V], out io.Writer) error
	// BorrowKeys lets an Unordered job with string keys (of type string
	// and the default codec) hand Reduce keys that share the reducer's read buffer instead
	// of a new string each: a key then holds only until Reduce returns,
	// so Reduce must copy (strings.Clone) any key it keeps. It saves an
	// allocation and a copy per key, which a word count of many distinct
	// words notices. Other jobs ignore it.
	BorrowKeys bool
	// Partition, when set, sends a key to a reducer in [0, reducers); the
	// default hashes the key's encoding. A run's Splitters override it.
	Partition func(key K, reducers int) int
	// Keys and Values encode keys and values; nil means DefaultCodec.
	Keys   Codec[K]
	Values Codec[V]
	// spare holds the hash buffers of finished map tasks of an Unordered
	// job, whose grown slices the next ones reuse.
	spare freeList[*hashBuffer[K, V]]
	// borrow, when not nil, makes a key that shares b (BorrowKeys).
	borrow func(b []byte) K
}

// borrower returns the function that makes a key sharing its encoding's
// bytes, when on and keys are strings of the default codec, else nil.
func borrower[K any](keys Codec[K], on bool) func([]byte) K {
	if _, ok := any(keys).(stringCodec); !ok || !on {
		return nil
	}
	// K is string: stringCodec is a Codec[string] only.
	return func(b []byte) K {
		s := unsafe.String(unsafe.SliceData(b), len(b))
		return *(*K)(unsafe.Pointer(&s))
	}
}

// Define checks a job, registers its tasks and returns it. Call it at
// init time, in the binary that drives and serves tasks. It panics on an
// incomplete definition, as overcast.Register does on a duplicate name.
func Define[K cmp.Ordered, V any](j Job[K, V]) *Job[K, V] {
	if j.Name == "" || j.Map == nil || j.Reduce == nil {
		panic("shuffle: Define needs a Name, a Map and a Reduce")
	}
	if j.Keys == nil {
		j.Keys = DefaultCodec[K]()
	}
	if j.Values == nil {
		j.Values = DefaultCodec[V]()
	}
	j.spare = newFreeList[*hashBuffer[K, V]]()
	j.borrow = borrower(j.Keys, j.BorrowKeys)
	jp := &j
	overcast.Register(j.Name+"/map", jp.mapTask)
	overcast.Register(j.Name+"/reduce", jp.reduceTask)
	return jp
}

// Config is one run of a job.
type Config[K cmp.Ordered] struct {
	// Storage is the URL of the bucket that holds the intermediate data,
	// under overcast/<job-id>/shuffle/ (storage.Open); empty means the
	// executor's (overcast.Options.Storage).
	Storage string
	// Output is the URL of the prefix the reducers write under (see
	// storage.OpenURL), one object per reducer named
	// part-<reducer>-<attempt>; empty means the reducers write nothing.
	Output string
	// Reducers is R, the number of reduce tasks; zero means 1, or
	// len(Splitters)+1 when Splitters are given.
	Reducers int
	// Splitters, when given, partition keys by range: reducer r gets the
	// keys k with Splitters[r-1] <= k < Splitters[r]. They must be sorted.
	Splitters []K
	// JobID names the job's storage prefix; empty means the executor's
	// job id, or a fresh one.
	JobID string
	// KeepIntermediate keeps the intermediate objects after the run.
	KeepIntermediate bool
}

// Result is what a run did.
type Result struct {
	JobID string
	// OutputBucket is the URL of the bucket of Config.Output, and Outputs
	// the keys of the reducers' outputs in it, in reducer order (empty
	// without Config.Output).
	OutputBucket string
	Outputs      []string
	// MapCounters and ReduceCounters sum the counters (see Count) of the
	// winning attempts of each phase's tasks; Run adds "pairs" (pairs
	// written by mappers), "shuffle_bytes" and "shuffle_objects" (what
	// they wrote), "shuffle_reads" (ranged reads of reducers), "keys" and
	// "values" (what they read) and "output_bytes".
	MapCounters, ReduceCounters map[string]int64
	// Map and Reduce are the records of the two phases.
	Map, Reduce *overcast.Report
}

// Report returns the two phases as one report, as the CLI prints it.
func (r *Result) Report() *overcast.Report { return joinReports(r.Map, r.Reduce) }

func (c *Config[K]) check() error {
	switch {
	case c.Reducers < 0:
		return fmt.Errorf("shuffle: reducers must not be negative, got %d", c.Reducers)
	case len(c.Splitters) > 0 && c.Reducers != 0 && c.Reducers != len(c.Splitters)+1:
		return fmt.Errorf("shuffle: %d splitters make %d reducers, not %d", len(c.Splitters), len(c.Splitters)+1, c.Reducers)
	}
	for i := 1; i < len(c.Splitters); i++ {
		if c.Splitters[i] < c.Splitters[i-1] {
			return fmt.Errorf("shuffle: splitters are not sorted at %d", i)
		}
	}
	if len(c.Splitters) > 0 {
		c.Reducers = len(c.Splitters) + 1
	}
	if c.Reducers == 0 {
		c.Reducers = 1
	}
	return nil
}

func joinReports(m, r *overcast.Report) *overcast.Report {
	if m == nil || r == nil {
		if m != nil {
			return m
		}
		return r
	}
	j := *m
	j.Task = m.Task + "+" + r.Task
	j.Tasks = m.Tasks + r.Tasks
	j.Records = overcast.RecordsOf(append(m.Records.Slice(), r.Records.Slice()...))
	for i := range m.Records.Len() {
		j.Records.SetSpent(i, m.Records.Spent(i))
	}
	for i := range r.Records.Len() {
		j.Records.SetSpent(m.Records.Len()+i, r.Records.Spent(i))
	}
	j.Failed = append([]*overcast.TaskFailure(nil), m.Failed...)
	for _, f := range r.Failed {
		g := *f
		g.Index += m.Tasks
		j.Failed = append(j.Failed, &g)
	}
	j.End = r.End
	j.Retries += r.Retries
	j.Throttles += r.Throttles
	j.Backups += r.Backups
	j.BackupWins += r.BackupWins
	j.ReadBytes += r.ReadBytes
	j.WrittenBytes += r.WrittenBytes
	j.Concurrency = max(m.Concurrency, r.Concurrency)
	return &j
}
