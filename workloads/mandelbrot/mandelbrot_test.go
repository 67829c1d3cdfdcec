package mandelbrot

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/storage"
)

var small = Image{Width: 301, Height: 203, MaxIter: 200}

// direct renders the whole image in this process.
func direct(im Image) ([]byte, int) {
	pix := make([]byte, im.Width*im.Height)
	return pix, im.RenderRows(pix, 0, im.Height)
}

func decode(t *testing.T, b []byte) *image.Paletted {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := img.(*image.Paletted)
	if !ok {
		t.Fatalf("decoded a %T, want *image.Paletted", img)
	}
	return p
}

func TestPNGWriterRoundTrips(t *testing.T) {
	pix, _ := direct(small)
	var out bytes.Buffer
	p, err := NewPNGWriter(&out, small.Width, small.Height)
	if err != nil {
		t.Fatal(err)
	}
	for r := range small.Height {
		if err := p.WriteRow(pix[r*small.Width : (r+1)*small.Width]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	img := decode(t, out.Bytes())
	if !bytes.Equal(img.Pix, pix) || img.Rect.Dx() != small.Width || img.Rect.Dy() != small.Height {
		t.Fatal("decoded pixels differ from the rows written")
	}
	if r, g, b, _ := img.Palette[InSet].RGBA(); r|g|b != 0 {
		t.Errorf("the set's colour is %v, want black", img.Palette[InSet])
	}
}

func TestPNGWriterRejectsMissingRows(t *testing.T) {
	p, _ := NewPNGWriter(new(bytes.Buffer), 4, 2)
	if err := p.WriteRow(make([]byte, 3)); err == nil {
		t.Error("a short row was accepted")
	}
	p.WriteRow(make([]byte, 4))
	if err := p.Close(); err == nil {
		t.Error("Close after 1 of 2 rows succeeded")
	}
}

func TestRunEqualsADirectRender(t *testing.T) {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	dir := "file://" + t.TempDir()
	var out bytes.Buffer
	res, _, err := Run(ctx, ex, small, 7, dir, "job/", &out)
	if err != nil {
		t.Fatal(err)
	}
	pix, in := direct(small)
	if res.InSet != int64(in) || in == 0 || in == len(pix) {
		t.Fatalf("in-set pixels %d, a direct render has %d of %d", res.InSet, in, len(pix))
	}
	if img := decode(t, out.Bytes()); !bytes.Equal(img.Pix, pix) {
		t.Fatal("the assembled PNG differs from a direct render")
	}
	b, _ := storage.Open(ctx, dir)
	defer b.Close()
	if ok, _ := b.Exists(ctx, "job/band-00000"); ok {
		t.Error("bands were left in storage")
	}
}

func TestAssembleRejectsBadBands(t *testing.T) {
	ctx := context.Background()
	im := Image{Width: 40, Height: 30, MaxIter: 100}
	b, _ := storage.Open(ctx, "mem://mandelbrot-test")
	defer b.Close()
	good := func() []BandOut {
		bands, _ := Plan(im, 3, "mem://mandelbrot-test", "assemble/")
		var outs []BandOut
		for _, band := range bands {
			o, err := RenderBand(ctx, band)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, o)
		}
		return outs
	}
	spoil := func(key string, f func([]byte) []byte) {
		buf, _ := b.ReadAll(ctx, key)
		b.WriteAll(ctx, key, f(buf), nil)
	}
	for _, c := range []struct {
		name, want string
		spoil      func([]BandOut) []BandOut
	}{
		{"missing band", "want the next band", func(o []BandOut) []BandOut { return append(o[:1], o[2:]...) }},
		{"band twice", "want the next band", func(o []BandOut) []BandOut { return append(o[:2], o[1:]...) }},
		{"last band missing", "cover 20 rows", func(o []BandOut) []BandOut { return o[:2] }},
		{"short band", "holds", func(o []BandOut) []BandOut {
			spoil(o[1].Key, func(b []byte) []byte { return b[:len(b)-1] })
			return o
		}},
		{"pixel moved into the set", "its task reported", func(o []BandOut) []BandOut {
			spoil(o[2].Key, func(b []byte) []byte { b[0] = InSet; return b })
			return o
		}},
		{"pixel's colour changed", "rendered by the driver", func(o []BandOut) []BandOut {
			spoil(o[2].Key, func(b []byte) []byte { b[0] = 1 + b[0]%200; return b })
			return o
		}},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			_, err := Assemble(ctx, b, im, c.spoil(good()), new(bytes.Buffer))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}
