package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/mandelbrot"
	"github.com/overcast-sc/overcast/workloads/sortbench"
)

var mandelbrotJob = &Job{
	Name:    "mandelbrot",
	Short:   "Render the Mandelbrot set in bands and assemble one PNG",
	Example: "  overcast run mandelbrot --width 8192 --height 8192 --tasks 256 --output m.png",
	Setup: func(fs *pflag.FlagSet) Plan {
		im := mandelbrot.Image{}
		var tasks int
		var output string
		fs.Var(Positive(&im.Width, 1024), "width", "image width in pixels")
		fs.Var(Positive(&im.Height, 1024), "height", "image height in pixels")
		fs.Var(Positive(&im.MaxIter, 256), "max-iter", "iterations before a point counts as in the set")
		fs.Var(Positive(&tasks, 64), "tasks", "number of tasks, each rendering a band of rows")
		fs.StringVar(&output, "output", "", "PNG file to write (required)")
		// No Size: the work depends on the image, not only its size.
		return Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			if output == "" {
				return nil, Usagef("mandelbrot needs --output FILE.png")
			}
			if _, err := mandelbrot.Plan(im, tasks, "", ""); err != nil {
				return nil, Usage(err)
			}
			return runMandelbrot(ctx, ex, im, tasks, output)
		}}
	},
}

func runMandelbrot(ctx context.Context, ex *overcast.Executor, im mandelbrot.Image, tasks int, output string) (*Result, error) {
	url, done, err := JobStorage(ctx, ex)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.CreateTemp(filepath.Dir(output), ".overcast-*.png")
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	defer os.Remove(f.Name())
	res, rep, err := mandelbrot.Run(ctx, ex, im, tasks, url, "overcast/"+ex.JobID()+"/mandelbrot/", f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("output: %w", cerr)
	}
	if rep == nil {
		return nil, err
	}
	if err == nil {
		err = publish(f.Name(), output)
	}
	r := &Result{Answer: res, Report: rep, Work: float64(im.Width) * float64(im.Height), Unit: "pixels",
		Details: map[string]any{"width": im.Width, "height": im.Height, "max_iter": im.MaxIter, "output": output}}
	if res != nil {
		r.Summary = fmt.Sprintf("wrote %s: %dx%d, %d pixels in the set; %d rows rendered again matched",
			output, im.Width, im.Height, res.InSet, res.Checked)
		r.Check = &Check{Expected: float64(res.Reported), Error: float64(res.InSet - res.Reported), OK: err == nil}
	}
	return r, err
}

// publish moves a finished temporary file to its place, readable by
// all as a file the user made would be (os.CreateTemp makes it 0600).
func publish(tmp, path string) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return os.Rename(tmp, path)
}

var sortJob = &Job{
	Name:  "sort",
	Short: "Sort 100-byte records (gensort's) by a sampled range partition",
	Example: "  overcast gen sort --size 1e9 --output file:///data/in\n" +
		"  overcast run sort --input file:///data/in --output file:///data/out/ --tasks 16\n" +
		"  overcast validate sort --input file:///data/in --output file:///data/out/",
	Setup: func(fs *pflag.FlagSet) Plan {
		var cfg sortbench.Config
		fs.StringVar(&cfg.Input, "input", "", "URL of the input object or prefix (required)")
		fs.StringVar(&cfg.Output, "output", "", "URL of the prefix the sorted part-NNNNN objects go under (required)")
		fs.Var(Positive(&cfg.Mappers, 16), "tasks", "number of map tasks, each reading a chunk of the input")
		fs.Var(Count(&cfg.Reducers, 0), "reducers", "number of reduce tasks and output objects (0 = as many as --tasks)")
		// No Size: the time is the storage's as much as the CPU's.
		return Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*Result, error) {
			switch {
			case cfg.Input == "" || cfg.Output == "":
				return nil, Usagef("sort needs --input URL and --output URL")
			case cfg.Reducers == 0:
				cfg.Reducers = cfg.Mappers
			}
			return runSort(ctx, ex, cfg)
		}}
	},
}

func runSort(ctx context.Context, ex *overcast.Executor, cfg sortbench.Config) (*Result, error) {
	url, done, err := JobStorage(ctx, ex)
	if err != nil {
		return nil, err
	}
	defer done()
	cfg.Storage, cfg.JobID = url, ex.JobID()
	res, rep, err := sortbench.Run(ctx, ex, cfg)
	if rep == nil {
		return nil, err
	}
	r := &Result{Answer: res, Report: rep, Unit: "bytes",
		Details: map[string]any{"input": cfg.Input, "output": cfg.Output, "reducers": cfg.Reducers}}
	if res != nil {
		r.Work = float64(res.Bytes)
		r.Summary = fmt.Sprintf("sorted %d records (%d bytes) into %d objects under %s", res.Records, res.Bytes, res.Partitions, cfg.Output)
		r.Check = &Check{Expected: float64(res.Bytes / sortbench.RecordSize), Error: float64(res.Records - res.Bytes/sortbench.RecordSize), OK: err == nil}
	}
	return r, err
}
