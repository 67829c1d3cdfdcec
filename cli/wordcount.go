package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/wordcount"
)

var wordcountJob = &Job{
	Name:  "wordcount",
	Short: "Count the words of text in object storage (MapReduce with a shuffle)",
	Example: "  overcast run wordcount --input file:///data/text/ --output file:///data/counts/ --reducers 4\n" +
		"  overcast run wordcount --input 's3://bucket/books/?endpoint=http://127.0.0.1:7070&use_path_style=true' --json",
	Setup: func(fs *pflag.FlagSet) Plan {
		var cfg wordcount.Config
		var chunk uint64
		fs.StringVar(&cfg.Input, "input", "", "URL of the text: an object, or a prefix ending in / (file://, s3://, mem://)")
		fs.StringVar(&cfg.Output, "output", "", "URL of a prefix to write word\\tcount lines under, one object per reducer")
		fs.Var(Count(&cfg.Tasks, 0), "tasks", "number of map tasks (0 = one per --chunk-size bytes)")
		fs.Var(Positive(&chunk, 64<<20), "chunk-size", "bytes per map task, e.g. 64e6")
		fs.Var(Positive(&cfg.Reducers, 4), "reducers", "number of reduce tasks")
		return Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			switch {
			case cfg.Input == "":
				return nil, Usagef("wordcount needs --input URL")
			case cfg.Tasks < 0 || cfg.Reducers < 1 || chunk < 1:
				return nil, Usagef("--tasks must not be negative, --reducers and --chunk-size must be at least 1")
			}
			cfg.ChunkSize = int64(chunk)
			res, err := wordcount.Run(ctx, ex, cfg)
			if res == nil || res.Shuffle == nil || res.Shuffle.Map == nil {
				return nil, err
			}
			return wordcountJobResult(res), err
		}}
	},
}

func wordcountJobResult(res *wordcount.Result) *Result {
	sh := res.Shuffle
	o := &Result{
		Answer: res, Report: sh.Report(),
		Summary: fmt.Sprintf("%d words, %d distinct, in %d bytes", res.TotalWords, res.DistinctWords, res.Bytes),
		Work:    float64(res.Bytes), Unit: "bytes",
		Details: map[string]any{"bytes": res.Bytes, "map_words": res.MapWords, "map_tasks": sh.Map.Tasks,
			"shuffle_bytes": sh.MapCounters["shuffle_bytes"], "shuffle_pairs": sh.MapCounters["pairs"]},
	}
	if sh.Reduce != nil {
		o.Details["reduce_tasks"] = sh.Reduce.Tasks
		o.Check = &Check{Expected: float64(res.MapWords), Error: float64(res.TotalWords - res.MapWords), OK: res.Checked()}
		if !res.Checked() {
			o.Summary += fmt.Sprintf(" (WRONG: the mappers read %d words)", res.MapWords)
		}
	}
	if len(sh.Outputs) > 0 {
		o.Details["outputs"] = sh.Outputs
		o.Details["output_bucket"] = sh.OutputBucket
	}
	return o
}
