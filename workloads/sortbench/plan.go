package sortbench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
)

// Segment is a byte range of one object.
type Segment struct {
	Key string `json:"key"`
	Off int64  `json:"off"`
	Len int64  `json:"len"`
}

// Ranges cuts the data set into about n record-aligned ranges of nearly
// equal size; a range never spans two objects, and empty objects get none.
func Ranges(ds *DataSet, n int) []Segment {
	per := max(1, (ds.Records()+int64(n)-1)/int64(n)) * RecordSize
	var segs []Segment
	for _, o := range ds.Objects {
		for off := int64(0); off < o.Size; off += per {
			segs = append(segs, Segment{Key: o.Key, Off: off, Len: min(per, o.Size-off)})
		}
	}
	return segs
}

// sampleBlocks is how many places Splitters reads its sample from: one
// ranged read each.
const sampleBlocks = 64

// Splitters samples keys at sampleBlocks evenly spread places of the data
// set, samplesPer·parts keys in all, and returns the parts-1 keys that cut
// the sorted sample into parts equal shares, and the reads it made.
func Splitters(ctx context.Context, ds *DataSet, parts, samplesPer int) ([][]byte, IO, error) {
	var rd IO
	if parts < 1 {
		return nil, rd, fmt.Errorf("need at least 1 partition, got %d", parts)
	}
	total := ds.Records()
	want := min(total, int64(parts*samplesPer))
	blocks := min(int64(sampleBlocks), max(want, 1))
	per := (want + blocks - 1) / blocks
	var keys [][]byte
	for b := range blocks {
		first := b * total / blocks
		k, err := sampleAt(ctx, ds, first, min(per, total-first))
		if err != nil {
			return nil, rd, err
		}
		keys = append(keys, k...)
		rd.Gets++
		rd.Read += int64(len(k)) * RecordSize
	}
	slices.SortFunc(keys, bytes.Compare)
	split := make([][]byte, 0, parts-1)
	for i := 1; i < parts; i++ {
		if len(keys) == 0 {
			split = append(split, make([]byte, KeySize))
			continue
		}
		split = append(split, keys[i*len(keys)/parts])
	}
	return split, rd, nil
}

// sampleAt returns the keys of n records of ds from record first on,
// within the object that holds it.
func sampleAt(ctx context.Context, ds *DataSet, first, n int64) ([][]byte, error) {
	off := first * RecordSize
	for _, o := range ds.Objects {
		if off >= o.Size {
			off -= o.Size
			continue
		}
		n = min(n, (o.Size-off)/RecordSize)
		buf, err := ds.Bucket.GetRange(ctx, o.Key, off, n*RecordSize)
		if err != nil {
			return nil, err
		}
		if int64(len(buf)) != n*RecordSize {
			return nil, fmt.Errorf("sample %s: read %d of %d bytes", o.Key, len(buf), n*RecordSize)
		}
		keys := make([][]byte, n)
		for i := range keys {
			keys[i] = buf[i*RecordSize : i*RecordSize+KeySize]
		}
		return keys, nil
	}
	return nil, nil
}

// partitionOf returns the partition of a key: the number of splitters
// that sort before or equal to it.
func partitionOf(split [][]byte, key []byte) int {
	lo, hi := 0, len(split)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(split[m], key) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
