package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast"
)

// A Map's log (format 2) is a sequence of chunks, each a bbolt value of at
// most about chunkSize bytes under an increasing key. A chunk is a uvarint
// base time (Unix ns) and then records. A record is a kind byte, the task
// index as a zigzag varint delta from the previous record's (0 at a
// chunk's start), and a body by kind:
//
//	open        uvarint run
//	dispatched  string id
//	attempted   flags in the kind byte's high bits: [string id] [string error]
//	finished    task record, [uvarint read, uvarint written], string output
//	failed      task record, [uvarint read, uvarint written], string code, string error
//	spent       string bills
//	carried     string bills (earlier runs' bills of a converted journal)
//	setRun      uvarint run (a converted journal's task's run)
//	window      varint time from the chunk's base, uvarint window, uvarint
//	            maximum; its index delta is 0 (it is about no task)
//
// A string is a uvarint length and its bytes. A task record is a flags
// byte (recFlag*), uvarint attempts and throttled, and the fields its
// flags say it has, times as zigzag varint deltas: invoked from the
// chunk's base, returned from invoked, start from invoked, end from
// start; then remote fields and bills. A finished or failed record whose
// attempt read or wrote storage has recIO set in its kind byte and the
// bytes after its task record; journals of older overcast versions have
// neither. A finished local task with a small output takes about 60 bytes.
const chunkSize = 4000

// Record kinds beyond the events' own.
const (
	evCarried eventKind = 16 + iota
	evSetRun
)

// Flags of an attempted record, in its kind byte's high bits.
const (
	attHasID  = 1 << 6
	attHasErr = 1 << 7
	kindMask  = 0x3f
	// recIO, in a finished or failed record's kind byte, says the storage
	// I/O follows its task record.
	recIO = 1 << 6
)

// Flags of an encoded task record.
const (
	recCold = 1 << iota
	recBackup
	recResumed
	recCollected
	recTimes  // invoked and returned
	recWorker // start and end
	recRemote // dispatched, wait, init, billed, memory, backend id
	recSpent
)

// chunkWriter encodes records into chunks.
type chunkWriter struct {
	chunks [][]byte
	cur    []byte
	base   int64
	prev   int
}

func (c *chunkWriter) start() {
	if len(c.cur) >= chunkSize {
		c.chunks = append(c.chunks, c.cur)
		c.cur = nil
	}
	if c.cur == nil {
		c.base = time.Now().UnixNano()
		c.cur = binary.AppendUvarint(make([]byte, 0, chunkSize+512), uint64(c.base))
		c.prev = 0
	}
}

// add encodes e as a record.
func (c *chunkWriter) add(e *event) {
	c.start()
	kind := byte(e.kind)
	hasIO := (e.kind == evFinished || e.kind == evFailed) && (e.rec.ReadBytes != 0 || e.rec.WrittenBytes != 0)
	if hasIO {
		kind |= recIO
	}
	if e.kind == evAttempted {
		if e.id != "" {
			kind |= attHasID
		}
		if e.hasFail {
			kind |= attHasErr
		}
	}
	if e.kind == evWindow {
		e.i = c.prev
	}
	b := append(c.cur, kind)
	b = binary.AppendVarint(b, int64(e.i-c.prev))
	c.prev = e.i
	switch e.kind {
	case evOpen, evSetRun:
		b = binary.AppendUvarint(b, uint64(e.run))
	case evDispatched:
		b = appendString(b, e.id)
	case evAttempted:
		if e.id != "" {
			b = appendString(b, e.id)
		}
		if e.hasFail {
			b = appendString(b, e.err)
		}
	case evFinished:
		b = appendRecord(b, &e.rec, c.base)
		b = appendIO(b, &e.rec, hasIO)
		b = appendString(b, string(e.out))
	case evFailed:
		b = appendRecord(b, &e.rec, c.base)
		b = appendIO(b, &e.rec, hasIO)
		b = appendString(b, e.code)
		b = appendString(b, e.err)
	case evSpent, evCarried:
		b = appendString(b, string(e.spent))
	case evWindow:
		b = binary.AppendVarint(b, e.win.Time.UnixNano()-c.base)
		b = binary.AppendUvarint(b, uint64(max(e.win.Window, 0)))
		b = binary.AppendUvarint(b, uint64(max(e.win.MaxWindow, 0)))
	}
	c.cur = b
}

// take returns the chunks encoded so far and starts afresh.
func (c *chunkWriter) take() [][]byte {
	if c.cur != nil {
		c.chunks = append(c.chunks, c.cur)
		c.cur = nil
	}
	out := c.chunks
	c.chunks = nil
	return out
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendRecord(b []byte, r *overcast.TaskRecord, base int64) []byte {
	var f byte
	set := func(bit byte, on bool) {
		if on {
			f |= bit
		}
	}
	set(recCold, r.Cold)
	set(recBackup, r.Backup)
	set(recResumed, r.Resumed)
	set(recCollected, r.Collected)
	set(recTimes, r.Invoked != 0 || r.Returned != 0)
	set(recWorker, r.Start != 0 || r.End != 0)
	set(recRemote, r.Dispatched != 0 || r.Wait != 0 || r.Init != 0 || r.Billed != 0 || r.MemoryMB != 0 || r.BackendID != "")
	set(recSpent, len(r.Spent) > 0)
	b = append(b, f)
	b = binary.AppendUvarint(b, uint64(uint32(r.Attempts)))
	b = binary.AppendUvarint(b, uint64(uint32(r.Throttled)))
	if f&recTimes != 0 {
		b = binary.AppendVarint(b, r.Invoked-base)
		b = binary.AppendVarint(b, r.Returned-r.Invoked)
	}
	if f&recWorker != 0 {
		b = binary.AppendVarint(b, r.Start-r.Invoked)
		b = binary.AppendVarint(b, r.End-r.Start)
	}
	if f&recRemote != 0 {
		b = binary.AppendVarint(b, r.Dispatched)
		b = binary.AppendVarint(b, int64(r.Wait))
		b = binary.AppendVarint(b, int64(r.Init))
		b = binary.AppendVarint(b, int64(r.Billed))
		b = binary.AppendVarint(b, int64(r.MemoryMB))
		b = appendString(b, r.BackendID)
	}
	if f&recSpent != 0 {
		b = appendString(b, string(r.Spent))
	}
	return b
}

// appendIO appends a record's storage I/O when it has any.
func appendIO(b []byte, r *overcast.TaskRecord, has bool) []byte {
	if !has {
		return b
	}
	b = binary.AppendUvarint(b, uint64(max(r.ReadBytes, 0)))
	return binary.AppendUvarint(b, uint64(max(r.WrittenBytes, 0)))
}

// errCorrupt is a chunk that does not decode.
var errCorrupt = errors.New("damaged record")

// decoder reads one chunk's records.
type decoder struct {
	b    []byte
	base int64
	prev int
	err  error
}

func newDecoder(chunk []byte) *decoder {
	d := &decoder{b: chunk}
	d.base = int64(d.uvarint())
	return d
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes returns the next string's bytes, aliasing the chunk.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// next decodes the next record into e, whose byte slices alias the chunk.
// It returns false at the chunk's end or on an error (see d.err).
func (d *decoder) next(e *event) bool {
	if d.err != nil || len(d.b) == 0 {
		return false
	}
	kind := d.b[0]
	d.b = d.b[1:]
	*e = event{kind: eventKind(kind & kindMask)}
	e.i = d.prev + int(d.varint())
	d.prev = e.i
	switch e.kind {
	case evOpen, evSetRun:
		e.run = int(d.uvarint())
	case evDispatched:
		e.id = string(d.bytes())
	case evAttempted:
		if kind&attHasID != 0 {
			e.id = string(d.bytes())
		}
		if kind&attHasErr != 0 {
			e.hasFail, e.err = true, string(d.bytes())
		}
	case evFinished:
		d.record(&e.rec)
		d.io(&e.rec, kind&recIO != 0)
		e.rec.State = overcast.Done
		e.out = d.bytes()
	case evFailed:
		d.record(&e.rec)
		d.io(&e.rec, kind&recIO != 0)
		e.rec.State = overcast.TaskFailedState
		e.code, e.err, e.hasFail = string(d.bytes()), string(d.bytes()), true
	case evSpent, evCarried:
		e.spent = overcast.Bills(d.bytes())
	case evWindow:
		e.win.Time = time.Unix(0, d.base+d.varint())
		e.win.Window, e.win.MaxWindow = int(d.uvarint()), int(d.uvarint())
	default:
		d.err = fmt.Errorf("%w: kind %d", errCorrupt, kind)
	}
	return d.err == nil
}

// io reads a record's storage I/O, when its kind byte says it has any.
func (d *decoder) io(r *overcast.TaskRecord, has bool) {
	if has {
		r.ReadBytes, r.WrittenBytes = int64(d.uvarint()), int64(d.uvarint())
	}
}

func (d *decoder) record(r *overcast.TaskRecord) {
	if len(d.b) == 0 {
		d.err = errCorrupt
		return
	}
	f := d.b[0]
	d.b = d.b[1:]
	r.Cold, r.Backup, r.Resumed, r.Collected = f&recCold != 0, f&recBackup != 0, f&recResumed != 0, f&recCollected != 0
	r.Attempts, r.Throttled = int32(d.uvarint()), int32(d.uvarint())
	if f&recTimes != 0 {
		r.Invoked = d.base + d.varint()
		r.Returned = r.Invoked + d.varint()
	}
	if f&recWorker != 0 {
		r.Start = r.Invoked + d.varint()
		r.End = r.Start + d.varint()
	}
	if f&recRemote != 0 {
		r.Dispatched = d.varint()
		r.Wait, r.Init, r.Billed = time.Duration(d.varint()), time.Duration(d.varint()), time.Duration(d.varint())
		r.MemoryMB = int32(d.varint())
		r.BackendID = string(d.bytes())
	}
	if f&recSpent != 0 {
		r.Spent = overcast.Bills(d.bytes())
	}
}
