package sortbench

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/cespare/xxhash/v2"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/worker"
)

// Job is the sort as a shuffle job: a record's key is its first 10 bytes
// (as a string, compared bytewise), its value the other 90. Mappers emit
// every record of their chunk, the shuffle partitions them by the run's
// splitters and sorts each partition by key, and reducers write each
// key's records in the order they come. Its tasks are "sort/map" and
// "sort/reduce".
var Job = shuffle.Define(shuffle.Job[string, []byte]{
	Name:   "sort",
	Map:    mapRecords,
	Reduce: writeRecords,
})

// The counters both phases keep, so that the driver can compare what the
// reducers wrote with what the mappers read: the record count, and the
// sum of a 128-bit hash of every record in four 32-bit quarters, each
// summed in its own counter (no counter overflows below 2³¹ records).
var sumCounters = [4]string{"sum0", "sum1", "sum2", "sum3"}

const recordsCounter = "records"

// count adds rec to the task's counters.
func count(ctx context.Context, rec []byte) {
	d := xxhash.NewWithSeed(hashSeed)
	d.Write(rec)
	hi, lo := xxhash.Sum64(rec), d.Sum64()
	shuffle.Count(ctx, recordsCounter, 1)
	shuffle.Count(ctx, sumCounters[0], int64(lo&0xffffffff))
	shuffle.Count(ctx, sumCounters[1], int64(lo>>32))
	shuffle.Count(ctx, sumCounters[2], int64(hi&0xffffffff))
	shuffle.Count(ctx, sumCounters[3], int64(hi>>32))
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

func mapRecords(ctx context.Context, in overcast.Chunk, emit func(string, []byte)) error {
	for rec, err := range in.Records(ctx) {
		if err != nil {
			return err
		}
		if len(rec) != RecordSize {
			return fmt.Errorf("a record of %d bytes, want %d", len(rec), RecordSize)
		}
		count(ctx, rec)
		emit(string(rec[:KeySize]), append([]byte(nil), rec[KeySize:]...))
	}
	return nil
}

// reduceHook, when a test sets it, runs after each record a reducer writes.
var reduceHook func(ctx context.Context, req *worker.Request) error

func writeRecords(ctx context.Context, key string, values iter.Seq[[]byte], out io.Writer) error {
	rec := make([]byte, 0, RecordSize)
	for v := range values {
		rec = append(append(rec[:0], key...), v...)
		if _, err := out.Write(rec); err != nil {
			return err
		}
		count(ctx, rec)
		if reduceHook != nil {
			if err := reduceHook(ctx, worker.RequestFrom(ctx)); err != nil {
				return err
			}
		}
	}
	return nil
}
