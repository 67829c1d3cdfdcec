package mandelbrot

import (
	"context"
	"fmt"
	"io"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// TaskName is the registered name of the band-rendering task.
const TaskName = "mandelbrot/band"

func init() { overcast.Register(TaskName, RenderBand) }

// Band is one task's share: rows [Row0, Row0+Rows) of the image, written
// to object Key of the bucket at URL Storage.
type Band struct {
	Image
	Storage string `json:"storage"`
	Key     string `json:"key"`
	Row0    int    `json:"row0"`
	Rows    int    `json:"rows"`
}

// BandOut is what a task reports about the band it wrote.
type BandOut struct {
	Key   string `json:"key"`
	Row0  int    `json:"row0"`
	Rows  int    `json:"rows"`
	InSet int    `json:"in_set"`
}

// RenderBand is the task: it renders its rows and writes them, one byte a
// pixel, row after row. The object's content depends only on the input,
// so a retried or backup attempt writes the same bytes.
func RenderBand(ctx context.Context, in Band) (BandOut, error) {
	if err := in.Check(); err != nil {
		return BandOut{}, err
	}
	b, err := storage.Open(ctx, in.Storage)
	if err != nil {
		return BandOut{}, err
	}
	defer b.Close()
	buf := make([]byte, in.Rows*in.Width)
	n := in.RenderRows(buf, in.Row0, in.Rows)
	if err := b.Put(ctx, in.Key, buf); err != nil {
		return BandOut{}, err
	}
	return BandOut{Key: in.Key, Row0: in.Row0, Rows: in.Rows, InSet: n}, nil
}

// Plan cuts the image into tasks bands of nearly equal height, stored
// under prefix in the bucket at storageURL.
func Plan(im Image, tasks int, storageURL, prefix string) ([]Band, error) {
	if err := im.Check(); err != nil {
		return nil, err
	}
	if tasks < 1 || tasks > im.Height {
		return nil, fmt.Errorf("tasks must be between 1 and the height %d, got %d", im.Height, tasks)
	}
	bands := make([]Band, tasks)
	per, extra := im.Height/tasks, im.Height%tasks
	row := 0
	for i := range bands {
		rows := per
		if i < extra {
			rows++
		}
		bands[i] = Band{Image: im, Storage: storageURL, Key: fmt.Sprintf("%sband-%05d", prefix, i), Row0: row, Rows: rows}
		row += rows
	}
	return bands, nil
}

// Result is what an assembled image holds.
type Result struct {
	// InSet counts the pixels in the set, read from the bands.
	InSet int64 `json:"in_set"`
	// Reported is the sum of the tasks' own counts.
	Reported int64 `json:"reported"`
	// Checked is how many rows the driver rendered again and compared.
	Checked int `json:"checked_rows"`
	// Bytes is the size of the bands read from storage.
	Bytes int64 `json:"band_bytes"`
}

// Run renders im as tasks bands on ex, through the bucket at storageURL
// under prefix, and streams the PNG to w. The bands are deleted after.
func Run(ctx context.Context, ex *overcast.Executor, im Image, tasks int, storageURL, prefix string, w io.Writer) (*Result, *overcast.Report, error) {
	bands, err := Plan(im, tasks, storageURL, prefix)
	if err != nil {
		return nil, nil, err
	}
	f := overcast.Map[Band, BandOut](ctx, ex, TaskName, bands)
	outs, err := f.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return nil, f.Report(), err
	}
	b, err := storage.Open(ctx, storageURL)
	if err != nil {
		return nil, f.Report(), err
	}
	defer b.Close()
	res, err := Assemble(ctx, b, im, outs, w)
	for _, o := range outs {
		b.Remove(context.WithoutCancel(ctx), o.Key)
	}
	return res, f.Report(), err
}
