package mandelbrot

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/overcast-sc/overcast/storage"
)

// spotRows is how many rows, spread over the image, Assemble renders
// again itself and compares with the bands'.
const spotRows = 64

// Assemble streams the bands, read from b one at a time, into a PNG on w.
// It fails unless the bands cover every row exactly once, in order, each
// band's size is its rows' and its in-set pixels are what its task
// reported, and rows rendered again here equal the bands'.
func Assemble(ctx context.Context, b *storage.Bucket, im Image, outs []BandOut, w io.Writer) (*Result, error) {
	if err := cover(im, outs); err != nil {
		return nil, err
	}
	p, err := NewPNGWriter(w, im.Width, im.Height)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	spot := max(1, im.Height/spotRows)
	for _, o := range outs {
		buf, err := b.Get(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		if err := res.band(im, o, buf, spot); err != nil {
			return nil, err
		}
		for r := range o.Rows {
			if err := p.WriteRow(buf[r*im.Width : (r+1)*im.Width]); err != nil {
				return nil, err
			}
		}
	}
	return res, p.Close()
}

// cover checks that the bands tile rows 0..Height-1 exactly once, in order.
func cover(im Image, outs []BandOut) error {
	next := 0
	for _, o := range outs {
		if o.Row0 != next || o.Rows < 1 {
			return fmt.Errorf("band %s covers rows %d..%d, want the next band to start at row %d", o.Key, o.Row0, o.Row0+o.Rows-1, next)
		}
		next += o.Rows
	}
	if next != im.Height {
		return fmt.Errorf("bands cover %d rows of %d", next, im.Height)
	}
	return nil
}

// band checks one band's bytes and counts them into res.
func (res *Result) band(im Image, o BandOut, buf []byte, spot int) error {
	if len(buf) != o.Rows*im.Width {
		return fmt.Errorf("band %s holds %d bytes, want %d", o.Key, len(buf), o.Rows*im.Width)
	}
	in := int64(bytes.Count(buf, []byte{InSet}))
	if in != int64(o.InSet) {
		return fmt.Errorf("band %s has %d pixels in the set, its task reported %d", o.Key, in, o.InSet)
	}
	res.InSet += in
	res.Reported += int64(o.InSet)
	res.Bytes += int64(len(buf))
	row := make([]byte, im.Width)
	for r := range o.Rows {
		if (o.Row0+r)%spot != 0 {
			continue
		}
		im.RenderRows(row, o.Row0+r, 1)
		if !bytes.Equal(row, buf[r*im.Width:(r+1)*im.Width]) {
			return fmt.Errorf("row %d of band %s differs from the same row rendered by the driver", o.Row0+r, o.Key)
		}
		res.Checked++
	}
	return nil
}
