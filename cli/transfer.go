package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/transfer"
)

var transferJob = &Job{
	Name:  "transfer",
	Short: "Move bytes to tasks and back, checking every byte (payload limits, storage)",
	Example: `  overcast run transfer --in-bytes 2e6 --out-bytes 2e6 --tasks 4 --storage file:///tmp/overcast-data
  overcast run transfer --backend openwhisk --in-bytes 5e6 --storage s3://bucket?region=us-east-1`,
	Setup: func(fs *pflag.FlagSet) Plan {
		var in, out, seed uint64
		var tasks int
		fs.Var(Count(&in, 1e6), "in-bytes", "input bytes per task, e.g. 2e6 (0 = an empty input)")
		fs.Var(Count(&out, 1e6), "out-bytes", "output bytes per task, e.g. 2e6 (0 = only the input's hash comes back)")
		fs.Var(Positive(&tasks, 4), "tasks", "number of tasks")
		fs.Var(Count(&seed, 1), "seed", "job seed: the same seed sends the same bytes")
		// Hashing and filling run at a few hundred MB/s a core.
		size := func() (time.Duration, int) {
			return time.Duration(float64(in+out) * float64(tasks) / 200e6 * float64(time.Second)), tasks
		}
		return Plan{Size: size, Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			if in > 256<<20 || out > 256<<20 {
				return nil, Usagef("--in-bytes and --out-bytes must be at most 256 MiB")
			}
			if _, err := transfer.Plan(int(in), int(out), tasks, seed); err != nil {
				return nil, Usage(err)
			}
			res, rep, err := transfer.Run(ctx, ex, int(in), int(out), tasks, seed)
			if rep == nil {
				return nil, err
			}
			moved := float64(res.BytesIn + res.BytesOut)
			return &Result{
				Answer: res.Bad == 0 && err == nil, Report: rep,
				Summary: fmt.Sprintf("%d tasks: moved %d bytes to them and %d back, every byte checked; %d task(s) wrong or missing", res.Tasks, res.BytesIn, res.BytesOut, res.Bad),
				Check:   &Check{Expected: 0, Error: float64(res.Bad), OK: res.Bad == 0},
				Work:    moved, Unit: "bytes",
				Details: map[string]any{"bytes_in": res.BytesIn, "bytes_out": res.BytesOut, "bad_tasks": res.Bad, "seed": seed},
			}, err
		}}
	},
}
