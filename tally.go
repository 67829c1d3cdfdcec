package overcast

import (
	"maps"
	"time"
)

// Tally is a running account of a job's records: the counts and billed
// use an end-of-job summary needs, kept as tasks resolve so that a job of
// ten million tasks can be summed up (after Ctrl-C, say) without going
// over every record. Records keeps one (Records.Tally); TallyRecords
// counts the same by going over them all.
type Tally struct {
	// Done, Failed and Cold count the records in each state, and those
	// whose attempt started cold.
	Done, Failed, Cold int
	// Billed sums billed attempts by the memory the platform reported (0:
	// none) and by what the attempt was.
	Billed map[BilledKey]BilledSum
	// Unreported counts billed attempts whose duration the platform did
	// not report (the worker's or the driver's timing).
	Unreported int64
	// ReadBytes and WrittenBytes sum the records' storage I/O.
	ReadBytes, WrittenBytes int64
}

// BilledKey sorts billed attempts.
type BilledKey struct {
	// MemoryMB is the memory the task's platform reported, 0 for none.
	MemoryMB int32
	// Output is true for the attempt that produced the task's output;
	// false for its other billed attempts, of kind Kind.
	Output bool
	Kind   BillKind
}

// BilledSum is a number of billed attempts and their billed time in whole
// milliseconds (each rounded up, as platforms bill).
type BilledSum struct {
	Invocations, MS int64
}

// TallyRecords counts r by going over every record, as Records.Tally
// keeps it as records are set: for tests and checks.
func TallyRecords(r Records) Tally {
	var t Tally
	for i := range r.Len() {
		rec := r.At(i)
		t.add(&rec, 1)
	}
	return t
}

// add adds rec's share (sign 1) or takes it out again (sign -1).
func (t *Tally) add(rec *TaskRecord, sign int) {
	switch rec.State {
	case Done:
		t.Done += sign
	case TaskFailedState:
		t.Failed += sign
	}
	if rec.Cold {
		t.Cold += sign
	}
	t.ReadBytes += int64(sign) * rec.ReadBytes
	t.WrittenBytes += int64(sign) * rec.WrittenBytes
	if rec.State == Done && !rec.Resumed {
		d, reported := rec.Billed, true
		if d == 0 {
			d, reported = time.Duration(rec.End-rec.Start), false
		}
		t.bill(BilledKey{MemoryMB: rec.MemoryMB, Output: true}, max(d, 0), reported, sign)
	}
	t.addBills(rec.Spent, rec.MemoryMB, sign)
}

// addBills adds bs, billed attempts of a task whose platform reported
// memoryMB, or takes them out again.
func (t *Tally) addBills(bs Bills, memoryMB int32, sign int) {
	for b := range bs.All() {
		t.bill(BilledKey{MemoryMB: memoryMB, Kind: b.Kind}, b.Duration, b.Reported, sign)
	}
}

func (t *Tally) bill(k BilledKey, d time.Duration, reported bool, sign int) {
	if t.Billed == nil {
		t.Billed = map[BilledKey]BilledSum{}
	}
	s := t.Billed[k]
	s.Invocations += int64(sign)
	s.MS += int64(sign) * int64((d+time.Millisecond-1)/time.Millisecond)
	if s == (BilledSum{}) {
		delete(t.Billed, k)
	} else {
		t.Billed[k] = s
	}
	if !reported {
		t.Unreported += int64(sign)
	}
}

// clone returns a copy of t that shares nothing with it.
func (t *Tally) clone() Tally {
	c := *t
	c.Billed = maps.Clone(t.Billed)
	return c
}
