// Command grep counts the lines that match a regular expression in every
// file under a prefix of object storage (a directory, an S3 prefix), as a
// MapReduce: overcast.Partition cuts the files into chunks of whole
// lines, each task counts the lines and matches of its chunk file by
// file, and the driver adds the counts up. It checks the counts against
// a sequential count of the same files on the driver. Its binary is a
// full overcast command line and worker:
//
//	go build -o grep ./examples/grep
//	./grep run grep --input file:///var/log/ --pattern 'error|fail' --json
//	./grep run grep --backend openwhisk --input 's3://logs/2026/?region=eu-west-1' --pattern timeout
package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/cli"
	"github.com/overcast-sc/overcast/storage"
)

// Query is one task's input: a chunk of the files and the expression.
type Query struct {
	Chunk   overcast.Chunk `json:"chunk"`
	Pattern string         `json:"pattern"`
}

// Counts are lines and matching lines, file by file.
type Counts map[string]Count

// Count is one file's lines and matching lines.
type Count struct {
	Lines   int64 `json:"lines"`
	Matches int64 `json:"matches"`
}

func init() { overcast.Register("grep/count", CountChunk) }

func main() { cli.Main(cli.WithJobs(grepJob)) }

var grepJob = &cli.Job{
	Name:    "grep",
	Short:   "Count the lines matching a regular expression in files in storage (MapReduce)",
	Example: "  grep run grep --input file:///var/log/ --pattern 'error|fail' --chunk-size 16e6",
	Setup: func(fs *pflag.FlagSet) cli.Plan {
		var input, pattern string
		var chunk int64
		fs.StringVar(&input, "input", "", "URL of a file, or of a prefix ending in / (file://, s3://, mem://) (required)")
		fs.StringVar(&pattern, "pattern", "", "regular expression (Go's syntax) a line must match (required)")
		fs.Var(cli.Positive(&chunk, 8<<20), "chunk-size", "bytes per task, e.g. 16e6")
		return cli.Plan{Run: func(ctx context.Context, ex *overcast.Executor) (*cli.Result, error) {
			if input == "" || pattern == "" {
				return nil, cli.Usagef("grep needs --input URL and --pattern REGEXP")
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				return nil, cli.Usagef("--pattern: %v", err)
			}
			return grep(ctx, ex, input, re, chunk)
		}}
	},
}

func grep(ctx context.Context, ex *overcast.Executor, input string, re *regexp.Regexp, chunk int64) (*cli.Result, error) {
	b, key, err := storage.OpenURL(ctx, input)
	if err != nil {
		return nil, cli.Usagef("--input: %v", err)
	}
	defer b.Close()
	chunks, err := overcast.Partition(ctx, b, []string{key}, chunk)
	if err != nil {
		return nil, err
	}
	queries := make([]Query, len(chunks))
	for i, c := range chunks {
		queries[i] = Query{Chunk: c, Pattern: re.String()}
	}
	f := overcast.Map[Query, Counts](ctx, ex, "grep/count", queries)
	outs, jobErr := f.Wait(context.WithoutCancel(ctx))
	got := Counts{}
	for _, o := range outs {
		got.add(o)
	}
	res := &cli.Result{Answer: got.total().Matches, Report: f.Report(), Unit: "bytes",
		Summary: fmt.Sprintf("%d of %d lines match in %d files", got.total().Matches, got.total().Lines, len(got)),
		Details: map[string]any{"lines": got.total().Lines, "files": len(got), "chunks": len(chunks), "counts": got}}
	for i, c := range chunks {
		if f.Report().Records.State(i) == overcast.Done {
			res.Work += float64(c.Bytes())
		}
	}
	if jobErr != nil {
		return res, jobErr
	}
	want, err := countDirect(ctx, b, key, re)
	if err != nil {
		return res, fmt.Errorf("check: %w", err)
	}
	res.Check = &cli.Check{Expected: float64(want.total().Matches),
		Error: float64(got.total().Matches - want.total().Matches), OK: maps.Equal(got, want)}
	if !res.Check.OK {
		res.Summary += fmt.Sprintf(" (WRONG: read one by one, %d of %d lines match in %d files)",
			want.total().Matches, want.total().Lines, len(want))
	}
	return res, nil
}

// CountChunk is the task: it counts the lines and matching lines of its
// chunk, range by range (each range is whole lines of one file).
func CountChunk(ctx context.Context, q Query) (Counts, error) {
	re, err := regexp.Compile(q.Pattern)
	if err != nil {
		return nil, err
	}
	out := Counts{}
	for _, r := range q.Chunk.Ranges {
		one := q.Chunk
		one.Ranges = []overcast.Range{r}
		var c Count
		for line, err := range one.Records(ctx) {
			if err != nil {
				return nil, err
			}
			c.Lines++
			if re.Match(line) {
				c.Matches++
			}
		}
		out.add(Counts{r.Key: c})
	}
	return out, nil
}

func (c Counts) add(o Counts) {
	for k, v := range o {
		t := c[k]
		c[k] = Count{t.Lines + v.Lines, t.Matches + v.Matches}
	}
}

func (c Counts) total() Count {
	var t Count
	for _, v := range c {
		t.Lines, t.Matches = t.Lines+v.Lines, t.Matches+v.Matches
	}
	return t
}

// countDirect counts the same files one by one on the driver, reading
// each whole and splitting it at newlines: the check of the job.
func countDirect(ctx context.Context, b *storage.Bucket, key string, re *regexp.Regexp) (Counts, error) {
	keys := []string{key}
	if key == "" || strings.HasSuffix(key, "/") {
		objs, err := b.List(ctx, key)
		if err != nil {
			return nil, err
		}
		keys = keys[:0]
		for _, o := range objs {
			// Overcast's own job data is not input (see overcast.Partition).
			if !strings.HasPrefix(o.Key, overcast.JobDataPrefix) || strings.HasPrefix(key, overcast.JobDataPrefix) {
				keys = append(keys, o.Key)
			}
		}
	}
	out := Counts{}
	for _, k := range keys {
		data, err := b.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			continue // no lines: no range, as Partition does
		}
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		var c Count
		for _, l := range lines {
			c.Lines++
			if re.Match(l) {
				c.Matches++
			}
		}
		out[k] = c
	}
	return out, nil
}
