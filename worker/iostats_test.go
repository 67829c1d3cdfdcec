package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/storage"
)

// ioTask copies the object its input names to key "copy-<index>" in the
// same bucket, reading it twice, and answers with its size.
func ioTask(ctx context.Context, in []byte) ([]byte, error) {
	var key string
	if err := json.Unmarshal(in, &key); err != nil {
		return nil, err
	}
	b, err := storage.Open(ctx, "mem://worker-io")
	if err != nil {
		return nil, err
	}
	data, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if _, err := b.GetRange(ctx, key, 0, 10); err != nil {
		return nil, err
	}
	if err := b.Put(ctx, fmt.Sprintf("copy-%d", RequestFrom(ctx).Index), data); err != nil {
		return nil, err
	}
	return json.Marshal(len(data))
}

func init() {
	RegisterTask(&Task{Name: "wtest/io", Raw: ioTask, Value: func(ctx context.Context, in any) (any, error) {
		b, _ := json.Marshal(in)
		out, err := ioTask(ctx, b)
		return json.RawMessage(out), err
	}})
}

// TestStatsCountTaskIO runs a task that reads and writes storage through
// every way a worker runs one: its answer says the bytes it moved, and
// not those of an input or output the worker moved through storage for
// it.
func TestStatsCountTaskIO(t *testing.T) {
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://worker-io")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "in", []byte(strings.Repeat("y", 1000))); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "envelope-input", []byte(`"in"`)); err != nil {
		t.Fatal(err)
	}
	const wantRead, wantWritten = 1000 + 10, 1000
	for _, req := range []*Request{
		{Task: "wtest/io", Index: 1, Input: json.RawMessage(`"in"`)},
		// The input comes from storage, and the output is too big for the
		// limit: the worker's own reads and writes are not the task's.
		{Task: "wtest/io", Index: 2, Limit: 20, Storage: "mem://worker-io", InputKey: "envelope-input", OutputKey: "out-2"},
	} {
		resp, err := DecodeResponse(Handle(ctx, AppendRequest(nil, req)))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Error != nil {
			t.Fatalf("task %d: %v", req.Index, resp.Error)
		}
		if resp.Stats.ReadBytes != wantRead || resp.Stats.WrittenBytes != wantWritten {
			t.Errorf("task %d: stats say %d read, %d written; want %d and %d", req.Index,
				resp.Stats.ReadBytes, resp.Stats.WrittenBytes, wantRead, wantWritten)
		}
	}
	v := RunValue(ctx, &Request{Task: "wtest/io", Index: 3}, "in", time.Time{})
	if v.Error != nil || v.Stats.ReadBytes != wantRead || v.Stats.WrittenBytes != wantWritten {
		t.Errorf("RunValue: %v, stats %+v; want %d read, %d written", v.Error, v.Stats, wantRead, wantWritten)
	}
	resp := handle(t, `{"task":"wtest/echo","input":1}`)
	if resp.Stats.ReadBytes != 0 || resp.Stats.WrittenBytes != 0 {
		t.Errorf("a task without I/O: stats %+v", resp.Stats)
	}
}
