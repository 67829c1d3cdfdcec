package shuffle

import (
	"context"
	"fmt"
	"io"

	"github.com/overcast-sc/overcast"
)

// RecordJob is a shuffle of fixed-size records ordered by their first
// KeySize bytes, compared bytewise: a sort. It moves records raw, with no
// per-record encoding, allocation or call: a mapper reads its chunk into
// one buffer, partitions the records by the run's splitters (or by a hash
// of the key without them) and writes them grouped by partition as one
// object; a reducer reads its partition's region of every mapper's
// object into one buffer, sorts it with a bucket sort on the key, and
// writes it in large blocks.
//
// Within a partition, records of equal keys keep their input order. As
// with Job, every attempt writes under names of its own and the driver
// commits the winners' names once, so retried, crashed and backup
// attempts neither lose nor duplicate records.
type RecordJob struct {
	// Name prefixes the job's task names: Name+"/map" and Name+"/reduce".
	Name string
	// RecordSize is the size of every record; KeySize, at most RecordSize,
	// the length of the key that starts it.
	RecordSize, KeySize int
	// Map, when set, sees each mapper's records, in input order, once
	// before they are partitioned: it may check them and Count. The
	// buffer is the shuffle's again once Map returns.
	Map func(ctx context.Context, recs []byte) error
	// Reduce, when set, gets the reducer's sorted records in consecutive
	// blocks of whole records, in order, and writes them to out (io.Discard
	// when the run has no Output); it may Count. Nil writes each block as
	// it is. The block is the shuffle's again once Reduce returns.
	Reduce func(ctx context.Context, sorted []byte, out io.Writer) error
}

// DefineRecords checks a record job, registers its tasks and returns it.
// Call it at init time, in the binary that drives and serves tasks. It
// panics on an incomplete definition, as Define does.
func DefineRecords(j RecordJob) *RecordJob {
	if j.Name == "" || j.RecordSize < 1 || j.KeySize < 1 || j.KeySize > j.RecordSize {
		panic(fmt.Sprintf("shuffle: DefineRecords needs a Name and 1 <= KeySize <= RecordSize, got %q, %d and %d",
			j.Name, j.KeySize, j.RecordSize))
	}
	jp := &j
	overcast.Register(j.Name+"/map", jp.mapTask)
	overcast.Register(j.Name+"/reduce", jp.reduceTask)
	return jp
}

// recordMapInput is what the driver sends a record map task.
type recordMapInput struct {
	Job      string `json:"job"`
	Storage  string `json:"storage"`
	Index    int    `json:"index"`
	Reducers int    `json:"reducers"`
	// Splitters are the range partitioning's keys, as bytes: JSON would
	// mangle a string that is not UTF-8.
	Splitters [][]byte       `json:"splitters,omitempty"`
	Chunk     overcast.Chunk `json:"chunk"`
}

// recordMapOutput names the object a map attempt wrote, its records
// grouped by partition: partition r is bytes Ends[r-1] (0 for r = 0) to
// Ends[r]. Key is empty when the chunk held no record.
type recordMapOutput struct {
	Key      string           `json:"key,omitempty"`
	Ends     []int64          `json:"ends"`
	Counters map[string]int64 `json:"counters,omitempty"`
}

// recordReduceInput is what the driver sends a record reduce task: its
// partition's region of each winning map attempt's object, in map order.
type recordReduceInput struct {
	Job     string           `json:"job"`
	Storage string           `json:"storage"`
	Part    int              `json:"part"`
	Inputs  []overcast.Range `json:"inputs"`
	// OutBucket and OutPrefix say where the output goes; no OutBucket
	// means nowhere.
	OutBucket string `json:"out_bucket,omitempty"`
	OutPrefix string `json:"out_prefix,omitempty"`
}

// Run runs the job on ex as Job.Run does: one map task per chunk, whose
// records must be RecordSize bytes (overcast.FixedRecords), then
// cfg.Reducers reduce tasks. Besides the counters of Map and Reduce, the
// map counters hold "shuffle_bytes" (written) and "shuffle_objects", the
// reduce counters "shuffle_reads" (ranged reads), "shuffle_bytes" (read),
// "values" (records) and "output_bytes".
func (j *RecordJob) Run(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, cfg Config[string]) (*Result, error) {
	res, out, end, err := startRun(ctx, ex, &cfg)
	if err != nil {
		return nil, err
	}
	defer end()
	parts, err := j.runMaps(ctx, ex, chunks, &cfg, res)
	if err != nil {
		return res, err
	}
	return res, j.runReduces(ctx, ex, parts, &cfg, out, res)
}

// runMaps runs the map phase and returns, for each reducer, its regions
// of the objects the winning map attempts wrote.
func (j *RecordJob) runMaps(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, cfg *Config[string], res *Result) ([][]overcast.Range, error) {
	var splitters [][]byte
	for _, s := range cfg.Splitters {
		splitters = append(splitters, []byte(s))
	}
	ins := make([]recordMapInput, len(chunks))
	for i, c := range chunks {
		ins[i] = recordMapInput{Job: res.JobID, Storage: cfg.Storage, Index: i, Reducers: cfg.Reducers, Splitters: splitters, Chunk: c}
	}
	f := overcast.Map[recordMapInput, recordMapOutput](ctx, ex, j.Name+"/map", ins)
	outs, err := f.Wait(ctx)
	<-f.Done()
	res.Map = f.Report()
	if err != nil {
		return nil, fmt.Errorf("map phase: %w", err)
	}
	res.MapCounters = map[string]int64{}
	parts := make([][]overcast.Range, cfg.Reducers)
	for i, o := range outs {
		if err := o.regions(parts, j.RecordSize); err != nil {
			return nil, fmt.Errorf("map task %d: %w", i, err)
		}
		addCounters(res.MapCounters, o.Counters)
	}
	return parts, nil
}

// regions appends the object's non-empty partitions to parts, after
// checking that its bounds make sense.
func (o recordMapOutput) regions(parts [][]overcast.Range, recordSize int) error {
	return appendRegions(parts, o.Key, o.Ends, int64(recordSize))
}

// runReduces runs the reduce phase on the partitions' regions, keeps the
// winning attempts' outputs and deletes the others.
func (j *RecordJob) runReduces(ctx context.Context, ex *overcast.Executor, parts [][]overcast.Range, cfg *Config[string], out *outputPrefix, res *Result) error {
	ins := make([]recordReduceInput, len(parts))
	for r, regions := range parts {
		ins[r] = recordReduceInput{Job: res.JobID, Storage: cfg.Storage, Part: r, Inputs: regions}
		if out != nil {
			ins[r].OutBucket, ins[r].OutPrefix = out.bucket.URL, out.prefix
		}
	}
	return reducePhase(ctx, ex, j.Name+"/reduce", ins, out, res)
}
