package overcast

import (
	"sync"
	"sync/atomic"
	"time"
)

// Records are a job's task records, kept compactly so that a job of ten
// million tasks stays small: 48 bytes a task, and 56 more for tasks of a
// platform that reports ids, queueing or billing (the first such record
// adds them for every task). The zero value holds no task.
//
// A record is written by the one goroutine that resolves its task (Set),
// and may be read by others once that is known to have happened.
type Records struct {
	s *recordStore
}

type recordStore struct {
	local  []localRecord
	remote atomic.Pointer[[]remoteRecord]
	// io holds the storage I/O of every task, added with the first record
	// that has any.
	io     atomic.Pointer[[]ioRecord]
	mu     sync.Mutex
	spent  map[int]Bills
	nSpent atomic.Int64
	// hasSpent has a bit per task with bills, so that reading the records
	// of a job with a few bills takes no lock per task.
	hasSpent []atomic.Uint32
	// tally is kept as records are set (Tally).
	tmu   sync.Mutex
	tally Tally
}

// localRecord is what every task keeps.
type localRecord struct {
	invoked, returned, start, end int64
	attempts, throttled           int32
	flags                         uint8
}

// remoteRecord is what a platform adds.
type remoteRecord struct {
	dispatched         int64
	wait, init, billed time.Duration
	memoryMB           int32
	backendID          string
}

// ioRecord is what a task that reads or writes storage adds.
type ioRecord struct {
	read, written int64
}

// Flags of a localRecord: the state in the low two bits, then the booleans.
const (
	flagStateMask = 3
	flagCold      = 1 << (iota + 1)
	flagBackup
	flagResumed
	flagCollected
)

// NewRecords returns n empty (pending) records.
func NewRecords(n int) Records {
	return Records{&recordStore{local: make([]localRecord, n), hasSpent: make([]atomic.Uint32, (n+31)/32)}}
}

// Len returns the number of tasks.
func (r Records) Len() int {
	if r.s == nil {
		return 0
	}
	return len(r.s.local)
}

// State returns task i's state, without expanding its record.
func (r Records) State(i int) TaskState {
	return TaskState(r.s.local[i].flags & flagStateMask)
}

// Cold reports whether task i's record says its attempt started cold.
func (r Records) Cold(i int) bool {
	return r.s.local[i].flags&flagCold != 0
}

// At returns task i's record.
func (r Records) At(i int) TaskRecord {
	l := &r.s.local[i]
	rec := TaskRecord{State: TaskState(l.flags & flagStateMask), Cold: l.flags&flagCold != 0,
		Backup: l.flags&flagBackup != 0, Resumed: l.flags&flagResumed != 0, Collected: l.flags&flagCollected != 0,
		Attempts: l.attempts, Throttled: l.throttled, Invoked: l.invoked, Returned: l.returned, Start: l.start, End: l.end}
	if p := r.s.remote.Load(); p != nil {
		x := &(*p)[i]
		rec.Dispatched, rec.Wait, rec.Init, rec.Billed = x.dispatched, x.wait, x.init, x.billed
		rec.MemoryMB, rec.BackendID = x.memoryMB, x.backendID
	}
	if p := r.s.io.Load(); p != nil {
		rec.ReadBytes, rec.WrittenBytes = (*p)[i].read, (*p)[i].written
	}
	rec.Spent = r.Spent(i)
	return rec
}

// IO returns the bytes task i's record says its attempt read and wrote.
func (r Records) IO(i int) (read, written int64) {
	if p := r.s.io.Load(); p != nil {
		return (*p)[i].read, (*p)[i].written
	}
	return 0, 0
}

// Spent returns task i's bills (TaskRecord.Spent).
func (r Records) Spent(i int) Bills {
	if r.s.nSpent.Load() == 0 || r.s.hasSpent[i/32].Load()&(1<<(i%32)) == 0 {
		return nil
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.s.spent[i]
}

// Set stores task i's record.
func (r Records) Set(i int, rec *TaskRecord) {
	old := r.At(i)
	f := uint8(rec.State) & flagStateMask
	for _, b := range []struct {
		on   bool
		flag uint8
	}{{rec.Cold, flagCold}, {rec.Backup, flagBackup}, {rec.Resumed, flagResumed}, {rec.Collected, flagCollected}} {
		if b.on {
			f |= b.flag
		}
	}
	r.s.local[i] = localRecord{invoked: rec.Invoked, returned: rec.Returned, start: rec.Start, end: rec.End,
		attempts: rec.Attempts, throttled: rec.Throttled, flags: f}
	x := remoteRecord{dispatched: rec.Dispatched, wait: rec.Wait, init: rec.Init, billed: rec.Billed,
		memoryMB: rec.MemoryMB, backendID: rec.BackendID}
	if p := r.s.remote.Load(); p != nil {
		(*p)[i] = x
	} else if x != (remoteRecord{}) {
		(*r.s.remoteTable())[i] = x
	}
	if io := (ioRecord{rec.ReadBytes, rec.WrittenBytes}); r.s.io.Load() != nil || io != (ioRecord{}) {
		(*r.s.ioTable())[i] = io
	}
	r.setSpent(i, rec.Spent)
	now := r.At(i)
	r.s.tmu.Lock()
	defer r.s.tmu.Unlock()
	r.s.tally.add(&old, -1)
	r.s.tally.add(&now, 1)
}

// Tally returns the records' counts and billed use, kept as they were set.
func (r Records) Tally() Tally {
	if r.s == nil {
		return Tally{}
	}
	r.s.tmu.Lock()
	defer r.s.tmu.Unlock()
	return r.s.tally.clone()
}

// memoryMB returns the memory task i's platform reported, 0 for none.
func (r Records) memoryMB(i int) int32 {
	if p := r.s.remote.Load(); p != nil {
		return (*p)[i].memoryMB
	}
	return 0
}

// remoteTable returns the platform fields, adding them on first use.
func (s *recordStore) remoteTable() *[]remoteRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.remote.Load(); p != nil {
		return p
	}
	t := make([]remoteRecord, len(s.local))
	s.remote.Store(&t)
	return &t
}

// ioTable returns the I/O fields, adding them on first use.
func (s *recordStore) ioTable() *[]ioRecord {
	if p := s.io.Load(); p != nil {
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.io.Load(); p != nil {
		return p
	}
	t := make([]ioRecord, len(s.local))
	s.io.Store(&t)
	return &t
}

// SetSpent replaces task i's bills.
func (r Records) SetSpent(i int, bs Bills) {
	if len(bs) == 0 && r.s.nSpent.Load() == 0 {
		return
	}
	old := r.Spent(i)
	r.setSpent(i, bs)
	mem := r.memoryMB(i)
	r.s.tmu.Lock()
	defer r.s.tmu.Unlock()
	r.s.tally.addBills(old, mem, -1)
	r.s.tally.addBills(bs, mem, 1)
}

// setSpent replaces task i's bills, leaving the tally to its caller.
func (r Records) setSpent(i int, bs Bills) {
	if len(bs) == 0 && r.s.nSpent.Load() == 0 {
		return
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	_, had := r.s.spent[i]
	switch {
	case len(bs) > 0:
		if r.s.spent == nil {
			r.s.spent = map[int]Bills{}
		}
		r.s.spent[i] = bs
		if !had {
			r.s.nSpent.Add(1)
			r.s.hasSpent[i/32].Or(1 << (i % 32))
		}
	case had:
		delete(r.s.spent, i)
		r.s.nSpent.Add(-1)
		r.s.hasSpent[i/32].And(^uint32(1 << (i % 32)))
	}
}

// RecordsOf returns records holding recs.
func RecordsOf(recs []TaskRecord) Records {
	r := NewRecords(len(recs))
	for i := range recs {
		r.Set(i, &recs[i])
	}
	return r
}

// Slice expands every record: for small jobs and tests.
func (r Records) Slice() []TaskRecord {
	out := make([]TaskRecord, r.Len())
	for i := range out {
		out[i] = r.At(i)
	}
	return out
}
