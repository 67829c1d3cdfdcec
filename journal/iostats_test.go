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
