package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

func fakeReport() *overcast.Report {
	t0 := time.Unix(1000, 0)
	r := &overcast.Report{Job: "j", Task: "t", Backend: "sim", Tasks: 50, Start: t0}
	for i := range 50 {
		inv := t0.Add(time.Duration(i) * 10 * time.Millisecond).UnixNano()
		r.Records = append(r.Records, overcast.TaskRecord{State: overcast.Done, Attempts: 1,
			Invoked: inv, Start: inv + 20e6, End: inv + int64(100+i)*1e6, Returned: inv + int64(110+i)*1e6,
			Init: time.Duration(i%3) * 5 * time.Millisecond, Cold: i%3 != 0})
	}
	r.Records[7].State = overcast.TaskFailedState
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
