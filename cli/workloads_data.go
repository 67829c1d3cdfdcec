package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/mandelbrot"
	"github.com/overcast-sc/overcast/workloads/sortbench"
)

func init() {
	workloads = append(workloads, sortWorkload, mandelbrotWorkload)
}

// jobStorage returns the bucket URL a workload keeps its intermediate
// data in: the executor's storage (--storage, $OVERCAST_STORAGE) when
// given; on the local backend, a temporary directory removed by the
// returned function. Remote workers cannot see this machine's files, so
// other backends need storage.
func jobStorage(ctx context.Context, ex *overcast.Executor) (string, func(), error) {
	if b, err := ex.Storage(ctx); err == nil {
		return b.URL, func() {}, nil
	} else if !errors.Is(err, overcast.ErrNoStorage) {
		return "", nil, err
	}
	if ex.Backend().Name() != "local" {
		return "", nil, usagef("backend %s needs --storage URL (file:// the workers can reach, or s3://)", ex.Backend().Name())
	}
	dir, err := os.MkdirTemp("", "overcast-job-")
	if err != nil {
		return "", nil, err
	}
	return "file://" + dir, func() { os.RemoveAll(dir) }, nil
}

type jobIDKey struct{}

// withJobID gives a workload its job's id, which names its data in storage.
func withJobID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, jobIDKey{}, id)
}

// jobID is the id of the workload's job.
func jobID(ctx context.Context) string {
	id, _ := ctx.Value(jobIDKey{}).(string)
	if id == "" {
		id = overcast.NewJobID()
	}
	return id
}

var mandelbrotWorkload = &workload{
	name:    "mandelbrot",
	short:   "Render the Mandelbrot set in bands and assemble one PNG",
	example: "  overcast run mandelbrot --width 8192 --height 8192 --tasks 256 --output m.png",
	flags: func(fs *pflag.FlagSet) (startFunc, sizer) {
		im := mandelbrot.Image{}
		var tasks int
		var output string
		fs.Var(positive(&im.Width, 1024), "width", "image width in pixels")
		fs.Var(positive(&im.Height, 1024), "height", "image height in pixels")
		fs.Var(positive(&im.MaxIter, 256), "max-iter", "iterations before a point counts as in the set")
		fs.Var(positive(&tasks, 64), "tasks", "number of tasks, each rendering a band of rows")
		fs.StringVar(&output, "output", "", "PNG file to write (required)")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			if output == "" {
				return nil, usagef("mandelbrot needs --output FILE.png")
			}
			if _, err := mandelbrot.Plan(im, tasks, "", ""); err != nil {
				return nil, &usageError{err}
			}
			return runMandelbrot(ctx, ex, im, tasks, output)
		}, nil // no estimate: the work depends on the image, not only its size
	},
}

func runMandelbrot(ctx context.Context, ex *overcast.Executor, im mandelbrot.Image, tasks int, output string) (*outcome, error) {
	url, done, err := jobStorage(ctx, ex)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.CreateTemp(filepath.Dir(output), ".overcast-*.png")
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	defer os.Remove(f.Name())
	res, rep, err := mandelbrot.Run(ctx, ex, im, tasks, url, "overcast/"+jobID(ctx)+"/mandelbrot/", f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("output: %w", cerr)
	}
	if rep == nil {
		return nil, err
	}
	if err == nil {
		err = publish(f.Name(), output)
	}
	o := &outcome{answer: res, report: rep, err: err, work: float64(im.Width) * float64(im.Height), unit: "pixels",
		details: map[string]any{"width": im.Width, "height": im.Height, "max_iter": im.MaxIter, "output": output}}
	if res != nil {
		o.summary = fmt.Sprintf("wrote %s: %dx%d, %d pixels in the set; %d rows rendered again matched",
			output, im.Width, im.Height, res.InSet, res.Checked)
		o.check = &check{Expected: float64(res.Reported), Error: float64(res.InSet - res.Reported), OK: err == nil}
	}
	return o, nil
}

// publish moves a finished temporary file to its place, readable by
// all as a file the user made would be (os.CreateTemp makes it 0600).
func publish(tmp, path string) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return os.Rename(tmp, path)
}

var sortWorkload = &workload{
	name:  "sort",
	short: "Sort 100-byte records (gensort's) by a sampled range partition",
	example: "  overcast gen sort --size 1e9 --output file:///data/in\n" +
		"  overcast run sort --input file:///data/in --output file:///data/out/ --tasks 16\n" +
		"  overcast validate sort --input file:///data/in --output file:///data/out/",
	flags: func(fs *pflag.FlagSet) (startFunc, sizer) {
		var cfg sortbench.Config
		fs.StringVar(&cfg.Input, "input", "", "URL of the input object or prefix (required)")
		fs.StringVar(&cfg.Output, "output", "", "URL of the prefix the sorted part-NNNNN objects go under (required)")
		fs.Var(positive(&cfg.Mappers, 16), "tasks", "number of map tasks, each reading a chunk of the input")
		fs.Var(newCount(&cfg.Reducers, 0), "reducers", "number of reduce tasks and output objects (0 = as many as --tasks)")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			switch {
			case cfg.Input == "" || cfg.Output == "":
				return nil, usagef("sort needs --input URL and --output URL")
			case cfg.Reducers == 0:
				cfg.Reducers = cfg.Mappers
			}
			return runSort(ctx, ex, cfg)
		}, nil // no estimate: the time is the storage's as much as the CPU's
	},
}

func runSort(ctx context.Context, ex *overcast.Executor, cfg sortbench.Config) (*outcome, error) {
	url, done, err := jobStorage(ctx, ex)
	if err != nil {
		return nil, err
	}
	defer done()
	cfg.Storage, cfg.JobID = url, jobID(ctx)
	res, rep, err := sortbench.Run(ctx, ex, cfg)
	if rep == nil {
		return nil, err
	}
	o := &outcome{answer: res, report: rep, err: err, unit: "bytes",
		details: map[string]any{"input": cfg.Input, "output": cfg.Output, "reducers": cfg.Reducers}}
	if res != nil {
		o.work = float64(res.Bytes)
		o.summary = fmt.Sprintf("sorted %d records (%d bytes) into %d objects under %s", res.Records, res.Bytes, res.Partitions, cfg.Output)
		o.check = &check{Expected: float64(res.Bytes / sortbench.RecordSize), Error: float64(res.Records - res.Bytes/sortbench.RecordSize), OK: err == nil}
	}
	return o, nil
}
