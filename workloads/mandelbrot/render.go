// Package mandelbrot renders the Mandelbrot set as many tasks, each
// writing one band of rows to object storage, and assembles the bands
// into one PNG that is streamed out row by row, so the driver never holds
// more than one band.
//
// The view is fixed: x from -2.5 to 1 across the width, y centred on 0,
// with square pixels. A pixel holds its escape iteration: 0 (black) for
// points that stay within radius 2 for MaxIter iterations (the set), else
// 1 + n mod 255 for the n at which it escaped, an index into a palette of
// 256 colours. The rendering is plain float64 arithmetic, so a task and a
// direct render in one process give identical pixels.
package mandelbrot

import "fmt"

// Image is what to render.
type Image struct {
	Width   int `json:"width"`
	Height  int `json:"height"`
	MaxIter int `json:"max_iter"`
}

// Check returns an error naming the first bad dimension.
func (im Image) Check() error {
	switch {
	case im.Width < 1 || im.Height < 1:
		return fmt.Errorf("width and height must be at least 1, got %dx%d", im.Width, im.Height)
	case im.Width > 1<<16 || im.Height > 1<<16:
		return fmt.Errorf("width and height must be at most 65536, got %dx%d", im.Width, im.Height)
	case im.MaxIter < 1:
		return fmt.Errorf("max-iter must be at least 1, got %d", im.MaxIter)
	}
	return nil
}

// InSet is the pixel value of points in the set.
const InSet = 0

// RenderRows writes the pixels of rows [row0, row0+rows) into dst, which
// holds rows·Width bytes, and returns how many are in the set.
func (im Image) RenderRows(dst []byte, row0, rows int) int {
	step := 3.5 / float64(im.Width)
	top := float64(im.Height) * step / 2
	in := 0
	for r := range rows {
		ci := top - float64(row0+r)*step
		line := dst[r*im.Width : (r+1)*im.Width]
		for x := range line {
			line[x] = im.pixel(-2.5+float64(x)*step, ci)
			if line[x] == InSet {
				in++
			}
		}
	}
	return in
}

// pixel iterates z ← z² + c from 0.
func (im Image) pixel(cr, ci float64) byte {
	var zr, zi, zr2, zi2 float64
	for n := range im.MaxIter {
		if zr2+zi2 > 4 {
			return byte(1 + n%255)
		}
		zi = 2*zr*zi + ci
		zr = zr2 - zi2 + cr
		zr2, zi2 = zr*zr, zi*zi
	}
	if zr2+zi2 > 4 {
		return byte(1 + im.MaxIter%255)
	}
	return InSet
}
