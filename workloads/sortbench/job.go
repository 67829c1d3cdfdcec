package sortbench

import (
	"context"
	"io"

	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/worker"
)

// Job is the sort as a record shuffle: a record's key is its first 10
// bytes, compared bytewise. Mappers checksum the records of their chunk
// and partition them by the run's splitters; reducers sort each partition
// and write it, checksumming what they write. Its tasks are "sort/map"
// and "sort/reduce".
var Job = shuffle.DefineRecords(shuffle.RecordJob{
	Name:       "sort",
	RecordSize: RecordSize,
	KeySize:    KeySize,
	Map:        sumRead,
	Reduce:     writeRecords,
})

// The counters both phases keep, so that the driver can compare what the
// reducers wrote with what the mappers read: the record count, and the
// sum of each call's 128-bit checksum in four 32-bit quarters, each
// summed in its own counter (no counter overflows below 2³¹ calls).
var sumCounters = [4]string{"sum0", "sum1", "sum2", "sum3"}

const recordsCounter = "records"

// count adds the checksum of recs to the task's counters.
func count(ctx context.Context, recs []byte) {
	var c Checksum
	c.Add(recs)
	shuffle.Count(ctx, recordsCounter, int64(c.Records))
	shuffle.Count(ctx, sumCounters[0], int64(c.Lo&0xffffffff))
	shuffle.Count(ctx, sumCounters[1], int64(c.Lo>>32))
	shuffle.Count(ctx, sumCounters[2], int64(c.Hi&0xffffffff))
	shuffle.Count(ctx, sumCounters[3], int64(c.Hi>>32))
}

// countedSum rebuilds the checksum from a phase's counters.
func countedSum(c map[string]int64) Checksum {
	sum := Checksum{Records: uint64(c[recordsCounter])}
	for i, name := range sumCounters {
		v := uint64(c[name])
		var part Checksum // v shifted left by 32·i bits, as a 128-bit number
		switch i {
		case 0:
			part.Lo = v
		case 1:
			part.Lo, part.Hi = v<<32, v>>32
		case 2:
			part.Hi = v
		case 3:
			part.Hi = v << 32
		}
		sum.add(part.Hi, part.Lo)
	}
	return sum
}

func sumRead(ctx context.Context, recs []byte) error {
	count(ctx, recs)
	return nil
}

// reduceHook, when a test sets it, runs after each block a reducer writes.
var reduceHook func(ctx context.Context, req *worker.Request) error

func writeRecords(ctx context.Context, sorted []byte, out io.Writer) error {
	if _, err := out.Write(sorted); err != nil {
		return err
	}
	count(ctx, sorted)
	if reduceHook != nil {
		return reduceHook(ctx, worker.RequestFrom(ctx))
	}
	return nil
}
