package sortbench

import (
	"bytes"
	"context"
	"fmt"
	"slices"
)

// sampleBlocks is how many places Splitters reads its sample from: one
// ranged read each.
const sampleBlocks = 64

// Splitters samples keys at sampleBlocks evenly spread places of the data
// set, samplesPer·parts keys in all, and returns the parts-1 keys that cut
// the sorted sample into parts equal shares, and the reads it made.
func Splitters(ctx context.Context, ds *DataSet, parts, samplesPer int) ([]string, IO, error) {
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
	split := make([]string, 0, parts-1)
	for i := 1; i < parts; i++ {
		if len(keys) == 0 {
			split = append(split, string(make([]byte, KeySize)))
			continue
		}
		split = append(split, string(keys[i*len(keys)/parts]))
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
