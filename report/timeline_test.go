package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

func fakeReport() *overcast.Report {
	t0 := time.Unix(1000, 0)
	r := &overcast.Report{Job: "j", Task: "t", Backend: "sim", Tasks: 50, Start: t0}
	var recs []overcast.TaskRecord
	for i := range 50 {
		inv := t0.Add(time.Duration(i) * 10 * time.Millisecond).UnixNano()
		recs = append(recs, overcast.TaskRecord{State: overcast.Done, Attempts: 1,
			Invoked: inv, Start: inv + 20e6, End: inv + int64(100+i)*1e6, Returned: inv + int64(110+i)*1e6,
			Init: time.Duration(i%3) * 5 * time.Millisecond, Cold: i%3 != 0})
	}
	recs[7].State = overcast.TaskFailedState
	r.Records = overcast.RecordsOf(recs)
	return r
}

func TestTimelineAndHistogramWriteImages(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"t.png", "t.svg"} {
		p := filepath.Join(dir, name)
		if err := Timeline(fakeReport(), p); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if name == "t.png" && !bytes.HasPrefix(b, []byte("\x89PNG")) || name == "t.svg" && !bytes.Contains(b, []byte("<svg")) {
			t.Fatalf("%s is not an image (%d bytes)", name, len(b))
		}
	}
	if err := Histogram(fakeReport(), filepath.Join(dir, "h.png")); err != nil {
		t.Fatal(err)
	}
	if err := Timeline(fakeReport(), filepath.Join(dir, "t.gif")); err == nil {
		t.Fatal("gif accepted")
	}
	if err := Timeline(&overcast.Report{Job: "empty"}, filepath.Join(dir, "e.png")); err == nil {
		t.Fatal("empty report plotted")
	}
}

func TestSpansOrderPhases(t *testing.T) {
	for _, s := range spans(fakeReport()) {
		if !(s.invoked <= s.start && s.start <= s.run && s.run <= s.end) {
			t.Fatalf("span out of order: %+v", s)
		}
	}
}

// blankTopRows counts the rows of white pixels at the top of a PNG.
func blankTopRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				return y - b.Min.Y
			}
		}
	}
	return b.Dy()
}

// TestTitlesKeepOffTheTopEdge draws both plots and checks that the title,
// the first thing from the top, starts some pixels below the edge.
func TestTitlesKeepOffTheTopEdge(t *testing.T) {
	dir := t.TempDir()
	for name, draw := range map[string]func(*overcast.Report, string) error{"timeline": Timeline, "histogram": Histogram} {
		p := filepath.Join(dir, name+".png")
		if err := draw(fakeReport(), p); err != nil {
			t.Fatal(err)
		}
		if n := blankTopRows(t, p); n < 8 || n > 40 {
			t.Errorf("%s: the title starts %d pixels below the top edge; want a margin of 8 to 40", name, n)
		}
	}
}
