package shuffle

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// Run runs the job on ex: one map task per chunk, then cfg.Reducers
// reduce tasks. It returns when both phases are done; on a failed task
// the error is that phase's *overcast.JobError and the Result holds the
// phases that ran. The output prefix must hold no part- objects yet.
func (j *Job[K, V]) Run(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, cfg Config[K]) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	id := cmp0(cfg.JobID, ex.JobID(), overcast.NewJobID())
	res := &Result{JobID: id}
	scratch, err := storage.Open(ctx, cfg.Storage)
	if err != nil {
		return nil, err
	}
	defer scratch.Close()
	out, err := openOutputPrefix(ctx, cfg.Output)
	if err != nil {
		return nil, err
	}
	if out != nil {
		defer out.bucket.Close()
		res.OutputBucket = out.bucket.URL
	}
	if !cfg.KeepIntermediate {
		defer deletePrefix(context.WithoutCancel(ctx), scratch, shufflePrefix(id), nil)
	}
	parts, err := j.runMaps(ctx, ex, chunks, id, &cfg, res)
	if err != nil {
		return res, err
	}
	return res, j.runReduces(ctx, ex, parts, id, &cfg, out, res)
}

func cmp0(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// runMaps runs the map phase and returns, for each reducer, the objects
// the winning map attempts wrote for it.
func (j *Job[K, V]) runMaps(ctx context.Context, ex *overcast.Executor, chunks []overcast.Chunk, id string, cfg *Config[K], res *Result) ([][]string, error) {
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
	parts := make([][]string, cfg.Reducers)
	for i, o := range outs {
		if len(o.Parts) != cfg.Reducers {
			return nil, fmt.Errorf("map task %d named %d partitions, want %d", i, len(o.Parts), cfg.Reducers)
		}
		for r, key := range o.Parts {
			if key != "" {
				parts[r] = append(parts[r], key)
			}
		}
		addCounters(res.MapCounters, o.Counters)
	}
	return parts, nil
}

// runReduces runs the reduce phase on the partitions' objects, keeps the
// winning attempts' outputs and deletes the others.
func (j *Job[K, V]) runReduces(ctx context.Context, ex *overcast.Executor, parts [][]string, id string, cfg *Config[K], out *outputPrefix, res *Result) error {
	ins := make([]reduceInput, len(parts))
	for r, keys := range parts {
		ins[r] = reduceInput{Job: id, Storage: cfg.Storage, Part: r, Inputs: keys}
		if out != nil {
			ins[r].OutBucket, ins[r].OutPrefix = out.bucket.URL, out.prefix
		}
	}
	f := overcast.Map[reduceInput, reduceOutput](ctx, ex, j.Name+"/reduce", ins)
	outs, err := f.Wait(ctx)
	<-f.Done()
	res.Reduce = f.Report()
	res.ReduceCounters = map[string]int64{}
	keep := map[string]bool{}
	for _, o := range outs {
		if o.Output != "" {
			keep[o.Output] = true
			res.Outputs = append(res.Outputs, o.Output)
		}
		addCounters(res.ReduceCounters, o.Counters)
	}
	if out != nil {
		if derr := deletePrefix(context.WithoutCancel(ctx), out.bucket, out.prefix+"part-", keep); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		return fmt.Errorf("reduce phase: %w", err)
	}
	return nil
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
	it := b.Bucket.List(&blob.ListOptions{Prefix: key + "part-"})
	o, err := it.Next(ctx)
	if err != io.EOF {
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", url, err)
		}
		return nil, fmt.Errorf("output %s already holds %s: remove the old output or choose another", url, o.Key)
	}
	return &outputPrefix{b, key}, nil
}

// deletePrefix deletes the objects under prefix that keep does not name.
func deletePrefix(ctx context.Context, b *storage.Bucket, prefix string, keep map[string]bool) error {
	it := b.Bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("clean %s: %w", prefix, err)
		}
		if !keep[o.Key] {
			if err := b.Delete(ctx, o.Key); err != nil {
				return fmt.Errorf("clean %s: %w", o.Key, err)
			}
		}
	}
}
