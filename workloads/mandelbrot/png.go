package mandelbrot

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// PNGWriter streams an 8-bit paletted PNG one row at a time: image/png
// wants the whole image in memory (64 MB for 8192², 256 MB as RGBA).
type PNGWriter struct {
	w      *bufio.Writer
	idat   *chunker
	z      *zlib.Writer
	width  int
	rows   int
	height int
}

// NewPNGWriter writes the PNG header, the palette and starts the image data.
func NewPNGWriter(w io.Writer, width, height int) (*PNGWriter, error) {
	p := &PNGWriter{w: bufio.NewWriterSize(w, 1<<16), width: width, height: height}
	p.w.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 3 // 8 bits per pixel, paletted
	writeChunk(p.w, "IHDR", ihdr)
	writeChunk(p.w, "PLTE", Palette())
	p.idat = &chunker{w: p.w}
	z, err := zlib.NewWriterLevel(p.idat, zlib.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	p.z = z
	return p, p.w.Flush()
}

// WriteRow writes the next row, Width palette indices.
func (p *PNGWriter) WriteRow(row []byte) error {
	if len(row) != p.width || p.rows == p.height {
		return fmt.Errorf("png: row %d of %d bytes, want %d rows of %d", p.rows, len(row), p.height, p.width)
	}
	p.rows++
	if _, err := p.z.Write([]byte{0}); err != nil { // filter: none
		return fmt.Errorf("png: %w", err)
	}
	if _, err := p.z.Write(row); err != nil {
		return fmt.Errorf("png: %w", err)
	}
	return nil
}

// Close ends the image data and the file; every row must have been written.
func (p *PNGWriter) Close() error {
	if p.rows != p.height {
		return fmt.Errorf("png: closed after %d of %d rows", p.rows, p.height)
	}
	if err := p.z.Close(); err != nil {
		return fmt.Errorf("png: %w", err)
	}
	p.idat.flush()
	writeChunk(p.w, "IEND", nil)
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("png: %w", err)
	}
	return nil
}

// chunker cuts the zlib stream into IDAT chunks.
type chunker struct {
	w   *bufio.Writer
	buf []byte
}

const idatSize = 1 << 16

func (c *chunker) Write(b []byte) (int, error) {
	c.buf = append(c.buf, b...)
	for len(c.buf) >= idatSize {
		writeChunk(c.w, "IDAT", c.buf[:idatSize])
		c.buf = append(c.buf[:0], c.buf[idatSize:]...)
	}
	return len(b), nil
}

func (c *chunker) flush() {
	if len(c.buf) > 0 {
		writeChunk(c.w, "IDAT", c.buf)
		c.buf = c.buf[:0]
	}
}

// writeChunk writes one PNG chunk; w's error surfaces at its Flush.
func writeChunk(w *bufio.Writer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	io.WriteString(crc, typ)
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// Palette returns the 256 RGB colours: black for the set, then a smooth
// cycle for the escape counts.
func Palette() []byte {
	p := make([]byte, 3*256)
	for i := 1; i < 256; i++ {
		t := float64(i-1) / 254
		p[3*i] = byte(255 * (0.5 + 0.5*math.Cos(2*math.Pi*(t+0.0))))
		p[3*i+1] = byte(255 * (0.5 + 0.5*math.Cos(2*math.Pi*(t+0.33))))
		p[3*i+2] = byte(255 * (0.5 + 0.5*math.Cos(2*math.Pi*(t+0.67))))
	}
	return p
}
