package shuffle

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// Run runs the job on ex: one map task per chunk, then cfg.Reducers
// reduce tasks. It returns when both phases are done; on a failed task
// the error is that phase's *overcast.JobError and the Result holds the
// phases that ran. The output prefix must hold no part- objects yet.
func (j *Job[K, V]) Run(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, cfg Config[K]) (*Result, error) {
	res, out, end, err := startRun(ctx, ex, &cfg)
	if err != nil {
		return nil, err
	}
	defer end()
	parts, err := j.runMaps(ctx, ex, chunks, res.JobID, &cfg, res)
	if err != nil {
		return res, err
	}
	return res, j.runReduces(ctx, ex, parts, res.JobID, &cfg, out, res)
}

// startRun prepares a run of either kind of job: it sets cfg's storage
// (the executor's when cfg names none) and checks cfg, names the job,
// opens the intermediate bucket and the output prefix, which must hold
// no part- objects yet. The returned end, to call once the run is over,
// removes the intermediate objects (unless cfg keeps them) and closes
// what startRun opened.
func startRun[K cmp.Ordered](ctx context.Context, ex *overcast.Executor, cfg *Config[K]) (res *Result, out *outputPrefix, end func(), err error) {
	if cfg.Storage == "" {
		b, err := ex.Storage(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("shuffle: intermediate data: %w", err)
		}
		cfg.Storage = b.URL
	}
	if err := cfg.check(); err != nil {
		return nil, nil, nil, err
	}
	res = &Result{JobID: cmp0(cfg.JobID, ex.JobID(), overcast.NewJobID())}
	scratch, err := storage.Open(ctx, cfg.Storage)
	if err != nil {
		return nil, nil, nil, err
	}
	if out, err = openOutputPrefix(ctx, cfg.Output); err != nil {
		scratch.Close()
		return nil, nil, nil, err
	}
	if out != nil {
		res.OutputBucket = out.bucket.URL
	}
	keep := cfg.KeepIntermediate
	end = func() {
		if !keep {
			scratch.RemoveAll(context.WithoutCancel(ctx), shufflePrefix(res.JobID))
		}
		scratch.Close()
		if out != nil {
			out.bucket.Close()
		}
	}
	return res, out, end, nil
}

func cmp0(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// runMaps runs the map phase and returns, for each reducer, its regions
// of the objects the winning map attempts wrote.
func (j *Job[K, V]) runMaps(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, id string, cfg *Config[K], res *Result) ([][]overcast.Range, error) {
	var splitters [][]byte
	for _, s := range cfg.Splitters {
		splitters = append(splitters, j.Keys.Append(nil, s))
	}
	ins := make([]mapInput, len(chunks))
	for i, c := range chunks {
		ins[i] = mapInput{Job: id, Storage: cfg.Storage, Index: i, Reducers: cfg.Reducers, Splitters: splitters, Chunk: c}
	}
	f := overcast.Map[mapInput, mapOutput](ctx, ex, j.Name+"/map", ins)
	outs, err := f.Wait(ctx)
	<-f.Done()
	res.Map = f.Report()
	if err != nil {
		return nil, fmt.Errorf("map phase: %w", err)
	}
	res.MapCounters = map[string]int64{}
	parts := make([][]overcast.Range, cfg.Reducers)
	for i, o := range outs {
		if err := o.regions(parts); err != nil {
			return nil, fmt.Errorf("map task %d: %w", i, err)
		}
		addCounters(res.MapCounters, o.Counters)
	}
	return parts, nil
}

// regions appends the output's non-empty partitions to parts, after
// checking that its bounds make sense. An output of the older layout
// (Parts, without Ends) adds its objects whole.
func (o mapOutput) regions(parts [][]overcast.Range) error {
	if o.Ends != nil || o.Parts == nil {
		return appendRegions(parts, o.Key, o.Ends, 1)
	}
	if len(o.Parts) != len(parts) {
		return fmt.Errorf("named %d partitions, want %d", len(o.Parts), len(parts))
	}
	for r, key := range o.Parts {
		if key != "" {
			parts[r] = append(parts[r], overcast.Range{Key: key, Length: -1})
		}
	}
	return nil
}

// appendRegions appends partition r of object key, bytes ends[r-1] (0 for
// r = 0) to ends[r], to parts[r] for each non-empty one, after checking
// that the bounds are whole records of recordSize bytes and in order.
func appendRegions(parts [][]overcast.Range, key string, ends []int64, recordSize int64) error {
	if len(ends) != len(parts) {
		return fmt.Errorf("named %d partitions, want %d", len(ends), len(parts))
	}
	var start int64
	for r, end := range ends {
		switch {
		case end < start || (end > start && key == ""):
			return fmt.Errorf("partition %d spans bytes %d to %d of %q: out of order, or of no object", r, start, end, key)
		case (end-start)%recordSize != 0:
			return fmt.Errorf("partition %d spans bytes %d to %d of %q: not whole %d-byte records", r, start, end, key, recordSize)
		}
		if end > start {
			parts[r] = append(parts[r], overcast.Range{Key: key, Offset: start, Length: end - start})
		}
		start = end
	}
	return nil
}

// runReduces runs the reduce phase on the partitions' regions, keeps the
// winning attempts' outputs and deletes the others.
func (j *Job[K, V]) runReduces(ctx context.Context, ex *overcast.Executor, parts [][]overcast.Range, id string, cfg *Config[K], out *outputPrefix, res *Result) error {
	ins := make([]reduceInput, len(parts))
	for r, regions := range parts {
		ins[r] = reduceInput{Job: id, Storage: cfg.Storage, Part: r, Inputs: regions}
		if out != nil {
			ins[r].OutBucket, ins[r].OutPrefix = out.bucket.URL, out.prefix
		}
	}
	return reducePhase(ctx, ex, j.Name+"/reduce", ins, out, res)
}

// commit deletes the part objects under the prefix that outputs, the
// winning attempts' outputs, do not name and, when the reduce phase
// succeeded (err is nil), writes the manifest naming outputs. It returns
// err, or else its own failure. A nil prefix has nothing to commit.
func (o *outputPrefix) commit(ctx context.Context, outputs []string, err error) error {
	if o == nil {
		return err
	}
	keep := map[string]bool{}
	for _, k := range outputs {
		keep[k] = true
	}
	if derr := deletePrefix(context.WithoutCancel(ctx), o.bucket, o.prefix+"part-", keep); derr != nil && err == nil {
		err = derr
	}
	if err == nil {
		err = o.bucket.Put(ctx, o.prefix+ManifestName, []byte(strings.Join(outputs, "\n")+"\n"))
	}
	return err
}

func addCounters(dst, src map[string]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

// outputPrefix is where reducers write.
type outputPrefix struct {
	bucket *storage.Bucket
	prefix string
}

// ManifestName is the object under the output prefix that names the
// committed outputs, one key a line in partition order. Read the output
// through it: a losing copy still running on the platform when the job
// ended may write its own part object after the job removed the others.
const ManifestName = "_manifest"

// openOutputPrefix opens the output URL and checks that it holds no part
// objects, whose mix with this run's would make the output wrong.
func openOutputPrefix(ctx context.Context, url string) (*outputPrefix, error) {
	if url == "" {
		return nil, nil
	}
	b, key, err := storage.OpenURL(ctx, url)
	if err != nil {
		return nil, err
	}
	if key != "" && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	old, err := b.List(ctx, key+"part-")
	if err != nil || len(old) > 0 {
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		return nil, fmt.Errorf("output %s already holds %s: remove the old output or choose another", storage.Redact(url), old[0].Key)
	}
	return &outputPrefix{b, key}, nil
}

// deletePrefix deletes the objects under prefix that keep does not name.
func deletePrefix(ctx context.Context, b *storage.Bucket, prefix string, keep map[string]bool) error {
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	for _, o := range objs {
		if !keep[o.Key] {
			if err := b.Remove(ctx, o.Key); err != nil {
				return fmt.Errorf("clean: %w", err)
			}
		}
	}
	return nil
}

// reducePhase runs the reduce tasks named task on ins, gathers their
// outputs and counters into res, and commits the winning outputs under
// out. Both the pair and the record shuffles end with it.
func reducePhase[In any](ctx context.Context, ex *overcast.Executor, task string, ins []In, out *outputPrefix, res *Result) error {
	f := overcast.Map[In, reduceOutput](ctx, ex, task, ins)
	outs, err := f.Wait(ctx)
	<-f.Done()
	res.Reduce = f.Report()
	res.ReduceCounters = map[string]int64{}
	for _, o := range outs {
		if o.Output != "" {
			res.Outputs = append(res.Outputs, o.Output)
		}
		addCounters(res.ReduceCounters, o.Counters)
	}
	if err = out.commit(ctx, res.Outputs, err); err != nil {
		return fmt.Errorf("reduce phase: %w", err)
	}
	return nil
}
