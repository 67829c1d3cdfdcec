// Package wordcount counts the words of text in object storage with a
// MapReduce job through a shuffle: mappers count the words of their
// chunks, reducers sum each word's counts and write "word\tcount" lines.
// Words are maximal runs of bytes that are not ASCII whitespace, so the
// total agrees with LC_ALL=C wc -w.
package wordcount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strconv"
	"sync"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/shuffle"
	"github.com/overcast-sc/overcast/storage"
)

// Job is the word count job: its tasks are wordcount/map and wordcount/reduce.
// It is Unordered: words go through the shuffle in the order of their
// hashes, which is much cheaper than sorting them, so a reducer's output
// lists its words in no useful order.
var Job = shuffle.Define(shuffle.Job[string, int64]{
	Name:      "wordcount",
	Map:       mapChunk,
	Combine:   func(a, b int64) int64 { return a + b },
	Reduce:    reduceWord,
	Unordered: true,
	// reduceWord only copies its word into the output line.
	BorrowKeys: true,
})

// counters keeps the counters of finished map tasks for the next ones
// in this process, one per CPU at most: a grown table and arena are
// costly to build again. Unlike a sync.Pool, which every garbage
// collection empties (and the shuffle makes garbage), it keeps them for
// the life of the process.
var counters = make(chan *Counter, runtime.GOMAXPROCS(0))

func getCounter() *Counter {
	select {
	case c := <-counters:
		c.Reset()
		return c
	default:
		return NewCounter()
	}
}

func putCounter(c *Counter) {
	select {
	case counters <- c:
	default:
	}
}

// mapChunk counts the words of a chunk, range by range, and emits each
// distinct word once with its count. It counts the words it read as
// "words", which the driver compares with the reducers' sum.
func mapChunk(ctx context.Context, in overcast.Chunk, emit func(string, int64)) error {
	c := getCounter()
	defer putCounter(c)
	for i := range in.Ranges {
		r, err := in.Open(ctx, i)
		if err != nil {
			return err
		}
		_, err = io.Copy(c, r) // through the reader's own pooled buffer
		r.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", in.Ranges[i].Key, err)
		}
		c.End()
	}
	// The words hold until the counter is reused, which is safe here
	// because the job is Unordered: its shuffle copies each key as it
	// is emitted, where an ordered one would keep the string.
	for w, n := range c.All() {
		emit(w, n)
	}
	shuffle.Count(ctx, "words", c.Words)
	return nil
}

// reduceWord sums a word's counts and writes "word\tcount".
func reduceWord(ctx context.Context, word string, counts iter.Seq[int64], out io.Writer) error {
	s := sums.Get().(*sum)
	defer sums.Put(s)
	s.n = 0
	counts(s.add)
	shuffle.Count(ctx, "words", s.n)
	s.line = append(append(s.line[:0], word...), '\t')
	s.line = append(strconv.AppendInt(s.line, s.n, 10), '\n')
	_, err := out.Write(s.line)
	return err
}

// sum is a reducer's sum of one word's counts and its output line, kept
// in sums so that reducing a word allocates nothing: a range over counts
// would allocate its loop's closure and the sum it adds to.
type sum struct {
	n    int64
	add  func(int64) bool
	line []byte
}

var sums = sync.Pool{New: func() any {
	s := &sum{}
	s.add = func(c int64) bool { s.n += c; return true }
	return s
}}

// Config is one word count.
type Config struct {
	// Input is the URL of an object or a prefix of objects (storage.OpenURL).
	Input string
	// Output, when set, is the URL of the prefix the per-word counts go to.
	Output string
	// Storage is the bucket URL for intermediate data; empty means the
	// executor's storage, or else the input's bucket.
	Storage string
	// ChunkSize is the bytes per map task; Tasks, when set, picks it so
	// that there are about that many map tasks. Zero for both means 64 MiB.
	ChunkSize int64
	Tasks     int
	// Reducers is the number of reduce tasks; zero means 1.
	Reducers int
}

// Result is a word count's answer.
type Result struct {
	// TotalWords is the sum of the reducers' counts, DistinctWords the
	// number of words they saw.
	TotalWords    int64 `json:"total_words"`
	DistinctWords int64 `json:"distinct_words"`
	// MapWords is the number of words the mappers read: equal to
	// TotalWords unless the shuffle lost or duplicated some.
	MapWords int64 `json:"-"`
	// Bytes is the size of the input.
	Bytes int64 `json:"-"`
	// Shuffle is the run of the MapReduce job.
	Shuffle *shuffle.Result `json:"-"`
}

// Checked reports whether the map side's total equals the reducers'.
func (r *Result) Checked() bool { return r.MapWords == r.TotalWords }

// Run counts the words of cfg.Input on ex.
func Run(ctx context.Context, ex *overcast.Executor, cfg Config) (*Result, error) {
	if cfg.Input == "" {
		return nil, errors.New("wordcount: an input URL is required")
	}
	if cfg.ChunkSize < 0 || cfg.Tasks < 0 || cfg.Reducers < 0 {
		return nil, errors.New("wordcount: chunk size, tasks and reducers must not be negative")
	}
	in, key, err := storage.OpenURL(ctx, cfg.Input)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	size, err := overcast.Size(ctx, in, []string{key})
	if err != nil {
		return nil, fmt.Errorf("wordcount: %w", err)
	}
	chunk := cfg.ChunkSize
	switch {
	case cfg.Tasks > 0:
		chunk = max(1, (size+int64(cfg.Tasks)-1)/int64(cfg.Tasks))
	case chunk == 0:
		chunk = 64 << 20
	}
	chunks, err := overcast.Partition(ctx, in, []string{key}, chunk)
	if err != nil {
		return nil, fmt.Errorf("wordcount: %w", err)
	}
	sc := shuffle.Config[string]{Storage: cfg.Storage, Output: cfg.Output, Reducers: cfg.Reducers}
	if sc.Storage == "" {
		if _, err := ex.Storage(ctx); err != nil {
			sc.Storage = in.URL // no executor storage: the input's bucket
		}
	}
	res, err := Job.Run(ctx, ex, chunks, sc)
	r := &Result{Bytes: size, Shuffle: res}
	if res != nil {
		r.TotalWords = res.ReduceCounters["words"]
		r.DistinctWords = res.ReduceCounters["keys"]
		r.MapWords = res.MapCounters["words"]
	}
	return r, err
}
