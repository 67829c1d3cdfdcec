package sortbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// readBuf is how much of an object a summary reads at a time.
const readBuf = 1 << 20 / RecordSize * RecordSize

// summary is what one object holds: its records' checksum, its first and
// last keys, and the first place its records are out of order, if any.
type summary struct {
	sum         Checksum
	first, last []byte
	disorder    error
}

// summarize reads one object of ds.
func summarize(ctx context.Context, ds *DataSet, i int) (*summary, error) {
	key := ds.Objects[i].Key
	r, err := ds.Bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	s := &summary{}
	buf := make([]byte, readBuf)
	var n int64 // records before buf
	for {
		m, err := io.ReadFull(r, buf)
		if m%RecordSize != 0 || (err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)) {
			return nil, fmt.Errorf("read %s: %d bytes after record %d: %w", key, m, n, err)
		}
		s.scan(key, buf[:m], n)
		s.sum.Add(buf[:m])
		n += int64(m / RecordSize)
		if err != nil {
			return s, nil
		}
	}
}

// scan notes the first and last keys of buf, whose first record is record
// n of the object, and the first pair of records out of order.
func (s *summary) scan(key string, buf []byte, n int64) {
	for off := 0; off < len(buf); off += RecordSize {
		k := buf[off : off+KeySize]
		if s.last != nil && s.disorder == nil && bytes.Compare(k, s.last) < 0 {
			s.disorder = fmt.Errorf("%s: record %d (key %x) sorts before record %d (key %x)",
				key, n+int64(off/RecordSize), k, n+int64(off/RecordSize)-1, s.last)
		}
		if s.first == nil {
			s.first = bytes.Clone(k)
		}
		s.last = append(s.last[:0], k...)
	}
}

// summarizeAll summarizes every object of ds, GOMAXPROCS at a time.
func summarizeAll(ctx context.Context, ds *DataSet) ([]*summary, error) {
	sums := make([]*summary, len(ds.Objects))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range ds.Objects {
		g.Go(func() (err error) {
			sums[i], err = summarize(ctx, ds, i)
			return err
		})
	}
	return sums, g.Wait()
}

// Sum returns the checksum of every record of ds.
func Sum(ctx context.Context, ds *DataSet) (Checksum, error) {
	sums, err := summarizeAll(ctx, ds)
	if err != nil {
		return Checksum{}, err
	}
	return total(sums), nil
}

func total(sums []*summary) Checksum {
	var c Checksum
	for _, s := range sums {
		c.Merge(s.sum)
	}
	return c
}

// Validation is what Validate found.
type Validation struct {
	Input, Output Checksum
	// Partitions is the number of output objects.
	Partitions int
}

// ErrInvalid marks a validation failure, as opposed to an error reading
// the data.
var ErrInvalid = errors.New("invalid sort output")

// Validate checks that out holds exactly in's records, sorted: every
// object in order, each object's first key not before the previous
// object's last, the same record count and the same checksum. A failure
// wraps ErrInvalid and says where the output first goes wrong.
func Validate(ctx context.Context, in, out *DataSet) (*Validation, error) {
	v := &Validation{Partitions: len(out.Objects)}
	var err error
	if v.Input, err = Sum(ctx, in); err != nil {
		return v, fmt.Errorf("input: %w", err)
	}
	sums, err := summarizeAll(ctx, out)
	if err != nil {
		return v, fmt.Errorf("output: %w", err)
	}
	v.Output = total(sums)
	if err := checkOrder(out, sums); err != nil {
		return v, err
	}
	switch {
	case v.Output.Records != v.Input.Records:
		return v, fmt.Errorf("%w: output holds %d records, input %d", ErrInvalid, v.Output.Records, v.Input.Records)
	case v.Output != v.Input:
		return v, fmt.Errorf("%w: output checksum %s differs from the input's %s: some records differ", ErrInvalid, v.Output, v.Input)
	}
	return v, nil
}

// checkOrder finds the first object out of order inside, or across the
// boundary with the object before it.
func checkOrder(out *DataSet, sums []*summary) error {
	var prev *summary
	for i, s := range sums {
		if s.disorder != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, s.disorder)
		}
		if s.first == nil {
			continue
		}
		if prev != nil && bytes.Compare(s.first, prev.last) < 0 {
			return fmt.Errorf("%w: %s starts with key %x, which sorts before the last key %x of the object before it",
				ErrInvalid, out.Objects[i].Key, s.first, prev.last)
		}
		prev = s
	}
	return nil
}
