package shuffle

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
)

// keyPrefix returns a key's first 8 bytes as a big-endian number, padded
// with zeros: of two keys, the one with the smaller prefix sorts first.
func keyPrefix(key []byte) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64(key)
	}
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

// keyParts sends a record's key to its partition: by range when there are
// splitters (partition r holds the keys k with splitters[r-1] <= k <
// splitters[r]), else by an FNV-1a hash of the key, as Job does.
type keyParts struct {
	keySize, reducers int
	splitters         [][]byte
	prefixes          []uint64 // the splitters' keyPrefix
}

func newKeyParts(keySize, reducers int, splitters [][]byte) *keyParts {
	kp := &keyParts{keySize: keySize, reducers: reducers, splitters: splitters}
	for _, s := range splitters {
		kp.prefixes = append(kp.prefixes, keyPrefix(s))
	}
	return kp
}

// part returns the partition of the record that starts rec.
func (kp *keyParts) part(rec []byte) int {
	key := rec[:kp.keySize]
	if len(kp.splitters) == 0 {
		return int(fnv64(key) % uint64(kp.reducers))
	}
	p := keyPrefix(key)
	lo, hi := 0, len(kp.prefixes) // the first splitter above key
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s := kp.prefixes[m]; s > p || (s == p && bytes.Compare(kp.splitters[m], key) > 0) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// groupRecords returns recs grouped by partition, in input order within
// each (a counting sort), and the end offset of each partition.
func groupRecords(recs []byte, size int, kp *keyParts) ([]byte, []int64) {
	n := len(recs) / size
	parts := make([]uint32, n)
	ends := make([]int64, kp.reducers)
	for i := range n {
		p := kp.part(recs[i*size:])
		parts[i] = uint32(p)
		ends[p] += int64(size)
	}
	next := make([]int64, kp.reducers) // where each partition's next record goes
	var off int64
	for r, l := range ends {
		next[r] = off
		off += l
		ends[r] = off
	}
	grouped := getBuf(len(recs))
	for i, p := range parts {
		copy(grouped[next[p]:next[p]+int64(size)], recs[i*size:])
		next[p] += int64(size)
	}
	return grouped, ends
}

// sortEntry stands for a record in sortRecords: its key's first 12 bytes
// (hi and lo, zero-padded) and its index.
type sortEntry struct {
	hi      uint64
	lo, idx uint32
}

// sortRecords returns the order of recs' records sorted by key, records
// of equal keys in input order. It spreads entries over up to 65,536
// buckets by the bits of the key's first 8 bytes just below those all
// records share (a counting sort), then sorts each bucket: with keys
// spread evenly, as a range partition's are, buckets hold a few entries.
func sortRecords(recs []byte, size, keySize int) []sortEntry {
	n := len(recs) / size
	es := make([]sortEntry, n)
	minHi, maxHi := ^uint64(0), uint64(0)
	for i := range es {
		key := recs[i*size : i*size+keySize]
		e := sortEntry{hi: keyPrefix(key), idx: uint32(i)}
		if keySize > 8 {
			var b [4]byte
			copy(b[:], key[8:])
			e.lo = binary.BigEndian.Uint32(b[:])
		}
		es[i] = e
		minHi, maxHi = min(minHi, e.hi), max(maxHi, e.hi)
	}
	byKey := entryCompare(recs, size, keySize)
	if n < 64 || minHi == maxHi {
		slices.SortFunc(es, byKey)
		return es
	}
	// Buckets of (hi-minHi)>>shift, the top `width` significant bits.
	width := min(16, max(1, bits.Len(uint(n))-2))
	shift := max(0, bits.Len64(maxHi-minHi)-width)
	starts := make([]int, 1<<width+1)
	for _, e := range es {
		starts[1+int((e.hi-minHi)>>shift)]++
	}
	for b := 1; b < len(starts); b++ {
		starts[b] += starts[b-1]
	}
	sorted := make([]sortEntry, n)
	next := slices.Clone(starts[:len(starts)-1])
	for _, e := range es {
		b := (e.hi - minHi) >> shift
		sorted[next[b]] = e
		next[b]++
	}
	for b := range len(starts) - 1 {
		switch bucket := sorted[starts[b]:starts[b+1]]; {
		case len(bucket) < 2:
		case len(bucket) <= 32 && keySize <= 12:
			insertionSort(bucket)
		default:
			slices.SortFunc(bucket, byKey)
		}
	}
	return sorted
}

// insertionSort sorts a few entries of keys of 12 bytes or less, by key,
// then by index, with the comparison inlined.
func insertionSort(es []sortEntry) {
	for i := 1; i < len(es); i++ {
		e, j := es[i], i
		for ; j > 0 && e.before(es[j-1]); j-- {
			es[j] = es[j-1]
		}
		es[j] = e
	}
}

// before orders entries by their first 12 bytes of key, then by index.
func (a sortEntry) before(b sortEntry) bool {
	switch {
	case a.hi != b.hi:
		return a.hi < b.hi
	case a.lo != b.lo:
		return a.lo < b.lo
	}
	return a.idx < b.idx
}

// entryCompare orders entries by key, then by index: the key's first 12
// bytes from the entry, the rest, if any, from the records.
func entryCompare(recs []byte, size, keySize int) func(a, b sortEntry) int {
	return func(a, b sortEntry) int {
		switch {
		case a.hi != b.hi:
			return cmp.Compare(a.hi, b.hi)
		case a.lo != b.lo:
			return cmp.Compare(a.lo, b.lo)
		}
		if keySize > 12 {
			ka := recs[int(a.idx)*size+12 : int(a.idx)*size+keySize]
			kb := recs[int(b.idx)*size+12 : int(b.idx)*size+keySize]
			if c := bytes.Compare(ka, kb); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.idx, b.idx)
	}
}
