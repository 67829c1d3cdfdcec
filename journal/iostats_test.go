package journal

import (
	"errors"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

// TestIORoundTrip records tasks' storage I/O, finished and failed, and
// reads it back: in every task's record, in the Map's summary and in its
// report.
func TestIORoundTrip(t *testing.T) {
	s := New(t.TempDir())
	r := record(t, s, testSpec("job-io"))
	l := openMap(t, r, 0, "wc/map", 3)
	l.Finished(0, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Invoked: 5, Returned: 9, ReadBytes: 1 << 33, WrittenBytes: 12}, output(0))
	l.Finished(1, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Cold: true}, output(1))
	l.Failed(2, &overcast.TaskRecord{State: overcast.TaskFailedState, Attempts: 2, ReadBytes: 7},
		&overcast.TaskFailure{Index: 2, Attempts: 2, Code: backend.TaskFailed, Err: errors.New("boom")})
	if err := l.Close(&overcast.Report{Backend: "local", Start: time.Now(), End: time.Now(), ReadBytes: 1<<33 + 14, WrittenBytes: 12}); err != nil {
		t.Fatal(err)
	}
	if err := r.End(Failed, nil); err != nil {
		t.Fatal(err)
	}
	j, err := s.Read("job-io")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int64{{1 << 33, 12}, {0, 0}, {7, 0}}
	for i, w := range want {
		rec := j.Maps[0].Tasks[i].Record
		if rec == nil || rec.ReadBytes != w[0] || rec.WrittenBytes != w[1] {
			t.Errorf("task %d: record %+v, want %d read, %d written", i, rec, w[0], w[1])
		}
	}
	if rep := j.Report(j.Maps[0]); rep.ReadBytes != 1<<33+14 || rep.WrittenBytes != 12 || rep.Records.Tally().ReadBytes != 1<<33+7 {
		t.Errorf("report: %d read, %d written, records %+v", rep.ReadBytes, rep.WrittenBytes, rep.Records.Tally())
	}
	if !j.Maps[0].Tasks[1].Record.Cold || j.Maps[0].Tasks[2].Error != "boom" {
		t.Errorf("the fields after the I/O: %+v", j.Maps[0].Tasks)
	}
	sum, err := s.ReadSummary("job-io")
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Maps[0].Summary; m.ReadBytes != 1<<33 || m.WrittenBytes != 12 {
		t.Errorf("summary: %d read, %d written; want the finished tasks' %d and 12", m.ReadBytes, m.WrittenBytes, int64(1<<33))
	}
}

// TestRecordWithoutIOIsUnchanged pins the encoding of a record of a task
// that moved no storage bytes: byte for byte what journals written before
// I/O was counted hold, so that each reads as the other.
func TestRecordWithoutIOIsUnchanged(t *testing.T) {
	var c chunkWriter
	c.start()
	c.base = 1000
	c.cur = c.cur[:0]
	c.add(&event{kind: evFinished, i: 3, rec: overcast.TaskRecord{Attempts: 1, Invoked: 1500, Returned: 1600}, out: []byte("1")})
	// kind 1, index +3 (zigzag 6), flags recTimes, attempts 1, throttled 0,
	// invoked 500 (zigzag 1000: e8 07), returned +100 (zigzag 200: c8 01), output "1".
	want := []byte{1, 6, recTimes, 1, 0, 0xe8, 0x07, 0xc8, 0x01, 1, '1'}
	if string(c.cur) != string(want) {
		t.Errorf("encoded % x, want % x", c.cur, want)
	}
	d := &decoder{b: want, base: 1000}
	var e event
	if !d.next(&e) || e.i != 3 || e.rec.Returned != 1600 || e.rec.ReadBytes != 0 || string(e.out) != "1" {
		t.Errorf("decoded %+v, %v", e, d.err)
	}
}

// TestWindowRoundTrip records the backend's window among task records,
// over two runs, and reads it back in order; the task records around it
// are untouched.
func TestWindowRoundTrip(t *testing.T) {
	s := New(t.TempDir())
	t0 := time.Unix(1_800_000_000, 0)
	want := []WindowSample{{t0, 8, 8}, {t0.Add(time.Second), 4, 8}, {t0.Add(2 * time.Second), 2, 4}, {t0.Add(time.Hour), 3, 4}}
	r := record(t, s, testSpec("job-win"))
	l := openMap(t, r, 0, "t", 3)
	l.Window(want[0].Time, want[0].Window, want[0].MaxWindow)
	l.Finished(2, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Invoked: 40}, output(2))
	l.Window(want[1].Time, want[1].Window, want[1].MaxWindow)
	l.Window(want[2].Time, want[2].Window, want[2].MaxWindow)
	l.Finished(1, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Invoked: 50}, output(1))
	l.Close(&overcast.Report{})
	crash(r) // the Map runs again in a second run
	r = record(t, s, testSpec("job-win"))
	l = openMap(t, r, 0, "t", 3)
	l.Window(want[3].Time, want[3].Window, want[3].MaxWindow)
	l.Finished(0, &overcast.TaskRecord{State: overcast.Done, Attempts: 1, Invoked: 60}, output(0))
	l.Close(&overcast.Report{})
	if err := r.End(Done, nil); err != nil {
		t.Fatal(err)
	}
	j, err := s.Read("job-win")
	if err != nil {
		t.Fatal(err)
	}
	m := j.Maps[0]
	if len(m.Window) != len(want) {
		t.Fatalf("read %d window samples %+v, want %+v", len(m.Window), m.Window, want)
	}
	for i, w := range want {
		if !m.Window[i].Time.Equal(w.Time) || m.Window[i].Window != w.Window || m.Window[i].MaxWindow != w.MaxWindow {
			t.Errorf("sample %d: %+v, want %+v", i, m.Window[i], w)
		}
	}
	for i, inv := range []int64{60, 50, 40} {
		if tk := m.Tasks[i]; tk.State != TaskDone || tk.Record == nil || tk.Record.Invoked != inv {
			t.Errorf("task %d: %+v", i, tk)
		}
	}
	if j.DoneTasks != 3 {
		t.Errorf("summary: %d done, want 3", j.DoneTasks)
	}
}
