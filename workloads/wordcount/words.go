package wordcount

import (
	"hash/maphash"
	"iter"
	"strings"
	"unsafe"
)

// space marks the bytes that separate words: ASCII space, \t, \n, \v, \f
// and \r, as for LC_ALL=C wc -w.
var space = [256]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// Counter counts words in the bytes written to it, which may cut words
// anywhere: a word that spans two writes is counted once.
//
// Its table holds no pointers and stores the words in one byte arena in
// the order first seen, so frequent words (seen early) sit together in
// cache and the garbage collector has nothing to scan: a Go map of
// strings spent most of its time in cache misses on its keys.
type Counter struct {
	// Words is the number of words.
	Words int64
	part  []byte
	seed  maphash.Seed
	// slots holds, probed linearly, the epoch the slot was filled in
	// (top 16 bits), the top 16 bits of its word's hash and its entry's
	// index (low 32 bits). A slot of another epoch than epoch is empty,
	// so Reset empties the table by a new epoch instead of clearing it,
	// which cost a map task as much time as writing its table's memory.
	slots   []uint64
	epoch   uint64
	entries []entry
	arena   []byte
}

// entry is one distinct word: arena[off:off+n], seen count times.
type entry struct {
	off, n int
	count  int64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{seed: maphash.MakeSeed(), slots: make([]uint64, 1<<12), epoch: 1}
}

// Reset empties the counter, keeping its memory for the next count.
func (c *Counter) Reset() {
	c.Words = 0
	c.part = c.part[:0]
	if c.epoch++; c.epoch == 1<<16 {
		clear(c.slots)
		c.epoch = 1
	}
	c.entries = c.entries[:0]
	c.arena = c.arena[:0]
}

// Write counts the words of p; a word at p's end waits for the next
// write or End. It never fails.
func (c *Counter) Write(p []byte) (int, error) {
	i := 0
	if len(c.part) > 0 {
		for i < len(p) && !space[p[i]] {
			i++
		}
		c.part = append(c.part, p[:i]...)
		if i == len(p) {
			return len(p), nil
		}
		c.add(c.part)
		c.part = c.part[:0]
	}
	for i < len(p) {
		for i < len(p) && space[p[i]] {
			i++
		}
		start := i
		for i < len(p) && !space[p[i]] {
			i++
		}
		if i == start {
			break
		}
		if i == len(p) {
			c.part = append(c.part, p[start:]...)
			break
		}
		c.add(p[start:i])
	}
	return len(p), nil
}

// End counts the word the last write ended in, if any: call it where the
// text ends (a word does not run on from one range into the next).
func (c *Counter) End() {
	if len(c.part) > 0 {
		c.add(c.part)
		c.part = c.part[:0]
	}
}

// Distinct returns the number of distinct words.
func (c *Counter) Distinct() int { return len(c.entries) }

// All yields each distinct word with its count, in the order first seen.
// The words are strings over the counter's own memory, which is neither
// copied nor allocated: they hold until the counter is next written to
// or reset, so keep a copy (strings.Clone) of any word kept longer.
// Copying the arena into one string for each map task cost 4% of word
// count's CPU time, most of it in faulting in fresh pages.
func (c *Counter) All() iter.Seq2[string, int64] {
	return func(yield func(string, int64) bool) {
		for _, e := range c.entries {
			if !yield(unsafe.String(unsafe.SliceData(c.arena[e.off:]), e.n), e.count) {
				return
			}
		}
	}
}

// Map returns the counts as a map.
func (c *Counter) Map() map[string]int64 {
	m := make(map[string]int64, len(c.entries))
	for w, n := range c.All() {
		m[strings.Clone(w)] = n
	}
	return m
}

func (c *Counter) add(w []byte) {
	c.Words++
	h := maphash.Bytes(c.seed, w)
	tag := c.epoch<<48 | h>>48<<32
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s>>48 != c.epoch {
			c.insert(i, tag, w)
			return
		}
		if s&^0xffffffff == tag {
			e := &c.entries[uint32(s)]
			if string(c.arena[e.off:e.off+e.n]) == string(w) {
				e.count++
				return
			}
		}
	}
}

// insert puts the new word w in empty slot i, growing the table to keep
// it at most half full.
func (c *Counter) insert(i, tag uint64, w []byte) {
	c.entries = append(c.entries, entry{off: len(c.arena), n: len(w), count: 1})
	c.arena = append(c.arena, w...)
	c.slots[i] = tag | uint64(len(c.entries)-1)
	if 2*len(c.entries) > len(c.slots) {
		c.grow()
	}
}

func (c *Counter) grow() {
	c.slots = make([]uint64, 2*len(c.slots))
	mask := uint64(len(c.slots) - 1)
	for j, e := range c.entries {
		h := maphash.Bytes(c.seed, c.arena[e.off:e.off+e.n])
		i := h & mask
		for c.slots[i]>>48 == c.epoch {
			i = (i + 1) & mask
		}
		c.slots[i] = c.epoch<<48 | h>>48<<32 | uint64(j)
	}
}
