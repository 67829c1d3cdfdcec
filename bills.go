package overcast

import (
	"encoding/binary"
	"errors"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
)

// BillKind says why a billed attempt did not produce the task's output.
type BillKind uint8

// The kinds of billed attempts in TaskRecord.Spent.
const (
	// BillFailed is an attempt that failed after it ran (a crash, a time-out,
	// a lost answer, the task's own error), whether it was retried or not.
	BillFailed BillKind = iota
	// BillOutrun is a copy another copy beat: it answered after the task was
	// resolved, or was still running when the job ended.
	BillOutrun
	// BillStopped is an attempt that was running when the job was stopped
	// (canceled) with the task unresolved.
	BillStopped
)

// Bill is one billed attempt.
type Bill struct {
	// Duration is the billed time, a whole number of milliseconds.
	Duration time.Duration
	Kind     BillKind
	// Reported is true when the platform reported the duration; false when
	// it is the time the driver measured.
	Reported bool
}

// Bills is a compact list of billed attempts: one varint per attempt,
// holding its milliseconds, kind and whether the platform reported them.
type Bills []byte

// billFlags is the number of low bits of a Bills varint that are flags.
const billFlags = 3

// Append adds b, its duration rounded up to a whole millisecond.
func (bs Bills) Append(b Bill) Bills {
	ms := uint64((b.Duration + time.Millisecond - 1) / time.Millisecond)
	v := ms<<billFlags | uint64(b.Kind&3)<<1
	if b.Reported {
		v |= 1
	}
	return binary.AppendUvarint(bs, v)
}

// All returns the attempts in the order they were added. It stops at the
// first malformed byte.
func (bs Bills) All() iter.Seq[Bill] {
	return func(yield func(Bill) bool) {
		for rest := []byte(bs); len(rest) > 0; {
			v, n := binary.Uvarint(rest)
			if n <= 0 {
				return
			}
			rest = rest[n:]
			b := Bill{Duration: time.Duration(v>>billFlags) * time.Millisecond,
				Kind: BillKind(v>>1) & 3, Reported: v&1 == 1}
			if !yield(b) {
				return
			}
		}
	}
}

// Without returns the bills not of kind k.
func (bs Bills) Without(k BillKind) Bills {
	var out Bills
	for b := range bs.All() {
		if b.Kind != k {
			out = out.Append(b)
		}
	}
	return out
}

// billing collects a job's billed attempts other than those whose output
// was taken, per task. Most tasks have none: until the first, resolving a
// task takes no lock.
type billing struct {
	n     atomic.Int64 // bills added so far
	mu    sync.Mutex
	spent map[int]Bills
	// dispatch is set once the driver reports dispatches (asynchronous
	// platforms): from then on an attempt canceled before it was
	// dispatched never reached the platform.
	dispatch atomic.Bool
}

func (b *billing) add(i int, bill Bill) {
	b.mu.Lock()
	if b.spent == nil {
		b.spent = map[int]Bills{}
	}
	b.spent[i] = b.spent[i].Append(bill)
	b.mu.Unlock()
	b.n.Add(1)
}

// of returns a copy of task i's bills so far.
func (b *billing) of(i int) Bills {
	if b.n.Load() == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.spent[i])
}

// account bills the attempt of task i that rec, act and err describe,
// unless it is the one whose output was taken (its record bills it).
func (j *job) account(i int, rec *TaskRecord, act *driver.Activation, err error, code backend.ErrorCode) {
	if rec.State == Done {
		return
	}
	bill, ok := j.billOf(rec, act, err, code)
	if !ok {
		return
	}
	switch {
	case code == backend.OK:
		bill.Kind = BillOutrun // it answered, but another copy's output was taken
	case code == backend.Canceled && j.final(i):
		bill.Kind = BillOutrun // the job ended while it ran: see billOf
	case code == backend.Canceled:
		bill.Kind = BillStopped
	default:
		bill.Kind = BillFailed
	}
	j.bills.add(i, bill)
}

// billOf returns what the platform bills for an attempt, and false when it
// bills nothing: the platform refused it before it ran (throttled,
// unavailable, not found, not allowed, malformed), could not be reached,
// or it never left the driver. The duration is the platform's when it
// reported one (OpenWhisk's activation duration, Lambda's billed
// duration), else the worker's own timing, else the time from dispatch to
// answer as the driver measured it.
//
// An attempt canceled because the job ended (a losing copy nobody awaits
// any more) is billed for the time until the job ended: the platform runs
// it to its end and bills that, but the driver stops waiting and never
// learns it, so this bill is a lower bound.
func (j *job) billOf(rec *TaskRecord, act *driver.Activation, err error, code backend.ErrorCode) (Bill, bool) {
	measured := Bill{Duration: max(0, time.Duration(rec.Returned-max(rec.Invoked, rec.Dispatched)))}
	if act != nil {
		switch {
		case act.Billed > 0:
			return Bill{Duration: act.Billed, Reported: true}, true
		case rec.End > rec.Start:
			return Bill{Duration: time.Duration(rec.End - rec.Start)}, true
		}
		return measured, true
	}
	var be driver.BilledError
	if errors.As(err, &be) {
		if d := be.BilledDuration(); d > 0 {
			return Bill{Duration: d, Reported: true}, true
		}
	}
	switch code {
	case backend.Crashed, backend.TaskFailed, backend.DeadlineExceeded, backend.Lost:
		return measured, true
	case backend.Canceled:
		return measured, rec.Dispatched != 0 || !j.bills.dispatch.Load()
	case backend.Unreachable:
		// Billed only when the platform accepted it before its answer
		// could not be fetched; a connection refused never reached it.
		return measured, rec.Dispatched != 0
	}
	return Bill{}, false
}

// attachBills gives every record its complete bills, once every attempt
// has returned, and journals those that grew after the task was resolved.
func (j *job) attachBills() {
	if j.bills.n.Load() == 0 {
		return
	}
	j.bills.mu.Lock()
	defer j.bills.mu.Unlock()
	sl, _ := j.log.(SpentLog)
	for _, i := range slices.Sorted(maps.Keys(j.bills.spent)) {
		bs := j.bills.spent[i]
		if len(bs) == len(j.records.Spent(i)) {
			continue
		}
		j.records.SetSpent(i, bs)
		if sl != nil {
			sl.Spent(i, bs)
		}
	}
}
