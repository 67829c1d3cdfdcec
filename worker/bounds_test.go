package worker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// floodReader yields n bytes of c, then the tail, without holding them.
type floodReader struct {
	n    int64
	c    byte
	tail *strings.Reader
}

func (f *floodReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return f.tail.Read(p)
	}
	k := int(min(int64(len(p)), f.n))
	for i := range p[:k] {
		p[i] = f.c
	}
	f.n -= int64(k)
	return k, nil
}

// TestOversizedLinesAreBounded sends actionloop lines longer than
// MaxActionLoopLine (a 100 MB peer message among them) and checks that each
// is answered with an input error naming the limit, that the next request is
// still served, and that what it allocates does not grow with the line: a
// 300 MB line costs no more than one just over the bound.
func TestOversizedLinesAreBounded(t *testing.T) {
	tests := []struct {
		name string
		size int64
	}{
		{"just over", MaxActionLoopLine + 1},
		{"100 MB", 100 << 20},
		{"300 MB", 300 << 20},
	}
	alloc := map[string]uint64{}
	next := `{"value":{"task":"wtest/echo","input":"after"}}` + "\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &floodReader{n: tt.size, c: 'x', tail: strings.NewReader("\n" + next)}
			var out, logs bytes.Buffer
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if err := ServeActionLoop(context.Background(), in, &out, &logs); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			sc := bufio.NewScanner(&out)
			var answers []*Response
			for sc.Scan() {
				r, err := DecodeResponse(sc.Bytes())
				if err != nil {
					t.Fatalf("answer %q: %v", sc.Text(), err)
				}
				answers = append(answers, r)
			}
			limit := fmt.Sprint(MaxActionLoopLine)
			if len(answers) != 2 || answers[0].Error == nil || answers[0].Error.Kind != "input" ||
				!strings.Contains(answers[0].Error.Message, limit) || string(answers[1].Output) != `"after"` {
				t.Fatalf("answers %+v; want an input error naming %s, then the next request's output", answers, limit)
			}
			if !strings.Contains(logs.String(), limit) {
				t.Errorf("logs %q do not name the limit", logs.String())
			}
			alloc[tt.name] = after.TotalAlloc - before.TotalAlloc
		})
	}
	if a, b := alloc["300 MB"], alloc["just over"]; a > b+32<<20 {
		t.Errorf("a 300 MB line allocated %d MB, one just over the %d MB bound %d MB: memory grows with the line", a>>20, MaxActionLoopLine>>20, b>>20)
	}
}

var _ io.Reader = (*floodReader)(nil)
