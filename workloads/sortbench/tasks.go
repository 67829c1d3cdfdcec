package sortbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/storage"
)

// The registered names of the sort's tasks.
const (
	MapTask    = "sort/map"
	ReduceTask = "sort/reduce"
)

func init() {
	overcast.Register(MapTask, Map)
	overcast.Register(ReduceTask, Reduce)
}

// MapInput is one mapper's share: a range of the input, the splitters
// that define the partitions, and where to write the intermediate object.
type MapInput struct {
	Input     string   `json:"input"` // bucket URL
	Range     Segment  `json:"range"`
	Splitters [][]byte `json:"splitters"`
	Storage   string   `json:"storage"` // bucket URL
	Prefix    string   `json:"prefix"`
	Index     int      `json:"index"`
}

// MapOutput names the intermediate object an attempt wrote, its records
// grouped by partition: partition r is bytes Offsets[r]..Offsets[r+1].
type MapOutput struct {
	Key     string   `json:"key"`
	Offsets []int64  `json:"offsets"`
	Sum     Checksum `json:"sum"`
	IO      IO       `json:"io"`
}

// Map reads its range, groups the records by partition and writes them as
// one object under a name unique to the attempt, so that a retried or
// backup attempt never overwrites an object a reducer may read: the
// driver commits the output of the attempt it takes, and only that one.
func Map(ctx context.Context, in MapInput) (MapOutput, error) {
	start := time.Now()
	buf, err := readRange(ctx, in.Input, in.Range)
	if err != nil {
		return MapOutput{}, err
	}
	var io IO
	io.since(start)
	out := MapOutput{Key: mapKey(in.Prefix, in.Index)}
	out.Sum.Add(buf)
	grouped, offsets := group(buf, in.Splitters)
	out.Offsets = offsets
	b, err := storage.Open(ctx, in.Storage)
	if err != nil {
		return MapOutput{}, err
	}
	defer b.Close()
	start = time.Now()
	if err := b.Put(ctx, out.Key, grouped); err != nil {
		return MapOutput{}, err
	}
	io.since(start)
	out.IO = IO{Gets: 1, Read: int64(len(buf)), Puts: 1, Written: int64(len(grouped)), Seconds: io.Seconds}
	return out, nil
}

// mapKey is an attempt-unique name, under a prefix hashed from the
// mapper's index so that objects spread over a store's key space.
func mapKey(prefix string, index int) string {
	var id [6]byte
	rand.Read(id[:])
	h := fnv.New32a()
	binary.Write(h, binary.LittleEndian, int64(index))
	return fmt.Sprintf("%s%02x/map-%05d-%x", prefix, h.Sum32()&0xff, index, id)
}

func readRange(ctx context.Context, bucketURL string, seg Segment) ([]byte, error) {
	b, err := storage.Open(ctx, bucketURL)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	buf, err := b.GetRange(ctx, seg.Key, seg.Off, seg.Len)
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) != seg.Len {
		return nil, fmt.Errorf("read %s at %d: got %d of %d bytes", seg.Key, seg.Off, len(buf), seg.Len)
	}
	return buf, nil
}

// group orders buf's records by partition (a counting sort, stable within
// a partition) and returns them with the partitions' start offsets.
func group(buf []byte, split [][]byte) ([]byte, []int64) {
	n := len(buf) / RecordSize
	part := make([]uint32, n)
	offsets := make([]int64, len(split)+3) // R+2: see the return
	for i := range n {
		p := partitionOf(split, buf[i*RecordSize:i*RecordSize+KeySize])
		part[i] = uint32(p)
		offsets[p+2] += RecordSize
	}
	for p := 2; p < len(offsets); p++ {
		offsets[p] += offsets[p-1]
	}
	out := make([]byte, len(buf))
	for i, p := range part {
		copy(out[offsets[p+1]:], buf[i*RecordSize:(i+1)*RecordSize])
		offsets[p+1] += RecordSize
	}
	// offsets[p+1] is now partition p's end, offsets[0] = 0: R+1 bounds.
	return out, offsets[:len(split)+2]
}

// ReduceInput is one reducer's partition: its range of every mapper's
// object, and the object to write.
type ReduceInput struct {
	Storage string    `json:"storage"` // bucket URL of the intermediate objects
	Sources []Segment `json:"sources"`
	Output  string    `json:"output"` // bucket URL
	Key     string    `json:"key"`
}

// ReduceOutput describes the object a reducer wrote.
type ReduceOutput struct {
	Key   string   `json:"key"`
	First []byte   `json:"first,omitempty"`
	Last  []byte   `json:"last,omitempty"`
	Sum   Checksum `json:"sum"`
	IO    IO       `json:"io"`
}

// Reduce reads its partition from every mapper, sorts it by the whole
// record (key first), and writes it. The sort is total, so every attempt
// writes the same bytes, and the store writes an object whole or not at
// all: an attempt that fails or loses to a backup leaves the final object
// absent or exactly as the winner writes it.
func Reduce(ctx context.Context, in ReduceInput) (ReduceOutput, error) {
	var io IO
	start := time.Now()
	var buf []byte
	for _, s := range in.Sources {
		b, err := readRange(ctx, in.Storage, s)
		if err != nil {
			return ReduceOutput{}, err
		}
		buf = append(buf, b...)
	}
	io.since(start)
	out := ReduceOutput{Key: in.Key}
	sorted := sortRecords(buf)
	out.Sum.Add(sorted)
	if len(sorted) > 0 {
		out.First, out.Last = sorted[:KeySize], sorted[len(sorted)-RecordSize:][:KeySize]
	}
	b, err := storage.Open(ctx, in.Output)
	if err != nil {
		return ReduceOutput{}, err
	}
	defer b.Close()
	start = time.Now()
	if err := b.Put(ctx, in.Key, sorted); err != nil {
		return ReduceOutput{}, err
	}
	io.since(start)
	out.IO = IO{Gets: int64(len(in.Sources)), Read: int64(len(buf)), Puts: 1, Written: int64(len(sorted)), Seconds: io.Seconds}
	return out, nil
}

// entry is a record in sortRecords: its key's first 8 bytes, its last 2
// and the record's index.
type entry struct {
	hi  uint64
	lo  uint16
	idx uint32
}

// sortRecords returns buf's records sorted by their bytes. It distributes
// 16-byte entries into buckets by the key's first 16 bits (a counting
// sort), sorts each bucket, and compares whole records only when keys tie.
func sortRecords(buf []byte) []byte {
	n := len(buf) / RecordSize
	var counts [1<<16 + 1]int
	for i := range n {
		counts[1+int(binary.BigEndian.Uint16(buf[i*RecordSize:]))]++
	}
	for b := 1; b < len(counts); b++ {
		counts[b] += counts[b-1]
	}
	es := make([]entry, n)
	next := counts
	for i := range n {
		r := buf[i*RecordSize:]
		b := binary.BigEndian.Uint16(r)
		es[next[b]] = entry{binary.BigEndian.Uint64(r), binary.BigEndian.Uint16(r[8:]), uint32(i)}
		next[b]++
	}
	cmp := func(a, b entry) int {
		switch {
		case a.hi != b.hi:
			return cmpU(a.hi, b.hi)
		case a.lo != b.lo:
			return cmpU(uint64(a.lo), uint64(b.lo))
		}
		ra, rb := int(a.idx)*RecordSize, int(b.idx)*RecordSize
		return bytes.Compare(buf[ra:ra+RecordSize], buf[rb:rb+RecordSize])
	}
	for b := range 1 << 16 {
		if bucket := es[counts[b]:counts[b+1]]; len(bucket) > 1 {
			slices.SortFunc(bucket, cmp)
		}
	}
	out := make([]byte, len(buf))
	for i, e := range es {
		copy(out[i*RecordSize:], buf[int(e.idx)*RecordSize:int(e.idx+1)*RecordSize])
	}
	return out
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}
