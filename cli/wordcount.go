package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/wordcount"
)

func init() {
	workloads = append(workloads, wordcountWorkload)
}

var wordcountWorkload = &workload{
	name:  "wordcount",
	short: "Count the words of text in object storage (MapReduce with a shuffle)",
	example: "  overcast run wordcount --input file:///data/text/ --output file:///data/counts/ --reducers 4\n" +
		"  overcast run wordcount --input 's3://bucket/books/?endpoint=http://127.0.0.1:7070&use_path_style=true' --json",
	flags: func(fs *pflag.FlagSet) (startFunc, sizer) {
		var cfg wordcount.Config
		var chunk uint64
		fs.StringVar(&cfg.Input, "input", "", "URL of the text: an object, or a prefix ending in / (file://, s3://, mem://)")
		fs.StringVar(&cfg.Output, "output", "", "URL of a prefix to write word\\tcount lines under, one object per reducer")
		fs.Var(newCount(&cfg.Tasks, 0), "tasks", "number of map tasks (0 = one per --chunk-size bytes)")
		fs.Var(positive(&chunk, 64<<20), "chunk-size", "bytes per map task, e.g. 64e6")
		fs.Var(positive(&cfg.Reducers, 4), "reducers", "number of reduce tasks")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			switch {
			case cfg.Input == "":
				return nil, usagef("wordcount needs --input URL")
			case cfg.Tasks < 0 || cfg.Reducers < 1 || chunk < 1:
				return nil, usagef("--tasks must not be negative, --reducers and --chunk-size must be at least 1")
			}
			cfg.ChunkSize = int64(chunk)
			res, err := wordcount.Run(ctx, ex, cfg)
			if res == nil || res.Shuffle == nil || res.Shuffle.Map == nil {
				return nil, err
			}
			return wordcountOutcome(res, err), nil
		}, nil
	},
}

func wordcountOutcome(res *wordcount.Result, err error) *outcome {
	sh := res.Shuffle
	o := &outcome{
		answer: res, report: sh.Report(), err: err,
		summary: fmt.Sprintf("%d words, %d distinct, in %d bytes", res.TotalWords, res.DistinctWords, res.Bytes),
		work:    float64(res.Bytes), unit: "bytes",
		details: map[string]any{"bytes": res.Bytes, "map_words": res.MapWords, "map_tasks": sh.Map.Tasks,
			"shuffle_bytes": sh.MapCounters["shuffle_bytes"], "shuffle_pairs": sh.MapCounters["pairs"]},
	}
	if sh.Reduce != nil {
		o.details["reduce_tasks"] = sh.Reduce.Tasks
		o.check = &check{Expected: float64(res.MapWords), Error: float64(res.TotalWords - res.MapWords), OK: res.Checked()}
		if !res.Checked() {
			o.summary += fmt.Sprintf(" (WRONG: the mappers read %d words)", res.MapWords)
		}
	}
	if len(sh.Outputs) > 0 {
		o.details["outputs"] = sh.Outputs
		o.details["output_bucket"] = sh.OutputBucket
	}
	return o
}
