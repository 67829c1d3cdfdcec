package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/workloads/mandelbrot"
)

func init() {
	workloads = append(workloads, mandelbrotWorkload)
}

// jobStorage returns the bucket URL a workload keeps its intermediate
// data in: flag's value when given; on the local backend, a temporary
// directory removed by the returned function. Remote workers cannot see
// this machine's files, so other backends need the flag.
func jobStorage(ex *overcast.Executor, flag string) (string, func(), error) {
	if flag != "" {
		return flag, func() {}, nil
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

var mandelbrotWorkload = &workload{
	name:    "mandelbrot",
	short:   "Render the Mandelbrot set in bands and assemble one PNG",
	example: "  overcast run mandelbrot --width 8192 --height 8192 --tasks 256 --output m.png",
	flags: func(fs *pflag.FlagSet) func(context.Context, *overcast.Executor) (*outcome, error) {
		im := mandelbrot.Image{}
		var tasks int
		var output, store string
		fs.IntVar(&im.Width, "width", 1024, "image width in pixels")
		fs.IntVar(&im.Height, "height", 1024, "image height in pixels")
		fs.IntVar(&im.MaxIter, "max-iter", 256, "iterations before a point counts as in the set")
		fs.IntVar(&tasks, "tasks", 64, "number of tasks, each rendering a band of rows")
		fs.StringVar(&output, "output", "", "PNG file to write (required)")
		fs.StringVar(&store, "storage", "", "bucket URL for the bands (default on the local backend: a temporary directory)")
		return func(ctx context.Context, ex *overcast.Executor) (*outcome, error) {
			if output == "" {
				return nil, usagef("mandelbrot needs --output FILE.png")
			}
			if _, err := mandelbrot.Plan(im, tasks, "", ""); err != nil {
				return nil, &usageError{err}
			}
			return runMandelbrot(ctx, ex, im, tasks, store, output)
		}
	},
}

func runMandelbrot(ctx context.Context, ex *overcast.Executor, im mandelbrot.Image, tasks int, store, output string) (*outcome, error) {
	url, done, err := jobStorage(ex, store)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.CreateTemp(filepath.Dir(output), ".overcast-*.png")
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	defer os.Remove(f.Name())
	res, rep, err := mandelbrot.Run(ctx, ex, im, tasks, url, "overcast/"+overcast.NewJobID()+"/mandelbrot/", f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("output: %w", cerr)
	}
	if rep == nil {
		return nil, err
	}
	if err == nil {
		err = os.Rename(f.Name(), output)
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
