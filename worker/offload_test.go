package worker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/storage"
)

func init() {
	// wtest/grow answers with a JSON string of as many x as its input says.
	Register("wtest/grow", func(ctx context.Context, in []byte) ([]byte, error) {
		var n int
		if err := json.Unmarshal(in, &n); err != nil {
			return nil, err
		}
		return json.Marshal(strings.Repeat("x", n))
	})
	Register("wtest/loud", func(ctx context.Context, in []byte) ([]byte, error) {
		return nil, &TaskError{Kind: "error", Message: strings.Repeat("e", 3*limit)}
	})
	// wtest/len answers with the length of its input.
	Register("wtest/len", func(ctx context.Context, in []byte) ([]byte, error) {
		return json.Marshal(len(in))
	})
}

func TestFastDecoderReadsStorageFields(t *testing.T) {
	b := AppendRequest(nil, &Request{Task: "t", Limit: 5, Storage: "s3://b?endpoint=http://127.0.0.1:9&region=us-east-1",
		InputKey: "overcast/j/in/0.1", OutputKey: "overcast/j/out/0.1-1", Input: json.RawMessage(`null`)})
	var r Request
	if !fastRequest(b, &r) || r.Storage == "" || r.OutputKey == "" {
		t.Errorf("the fast decoder does not read %s", b)
	}
}

const limit = 64 << 10

func TestBigOutputGoesToStorage(t *testing.T) {
	ctx := context.Background()
	req := &Request{Task: "wtest/grow", Job: "j", Limit: limit, Storage: "mem://worker-out", OutputKey: "overcast/j/out/0.0-1", Input: json.RawMessage(`100000`)}
	resp, err := DecodeResponse(Handle(ctx, AppendRequest(nil, req)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil || resp.OutputKey != req.OutputKey || resp.Output != nil {
		t.Fatalf("answer %+v, want only the output's key %s", resp, req.OutputKey)
	}
	b, _ := storage.Open(ctx, "mem://worker-out")
	got, err := b.Get(ctx, req.OutputKey)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(strings.Repeat("x", 100000)); string(got) != string(want) {
		t.Errorf("stored output has %d bytes, want %d", len(got), len(want))
	}
}

func TestSmallOutputStaysInTheAnswer(t *testing.T) {
	req := &Request{Task: "wtest/grow", Limit: limit, Storage: "mem://worker-out", OutputKey: "k", Input: json.RawMessage(`10`)}
	resp, err := DecodeResponse(Handle(context.Background(), AppendRequest(nil, req)))
	if err != nil || resp.OutputKey != "" || string(resp.Output) != `"xxxxxxxxxx"` {
		t.Fatalf("answer %+v, %v; want the output inline", resp, err)
	}
}

func TestBigOutputWithoutStorageFailsClearly(t *testing.T) {
	req := &Request{Task: "wtest/grow", Limit: limit, Input: json.RawMessage(`100000`)}
	out := Handle(context.Background(), AppendRequest(nil, req))
	resp, err := DecodeResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil || resp.Error.Kind != "output" || !strings.Contains(resp.Error.Message, "--storage") || strings.Contains(resp.Error.Message, "\n") {
		t.Fatalf("answer %+v, want one line of kind output naming --storage", resp.Error)
	}
	if !Fits(len(out), limit) {
		t.Errorf("the error answer is %d bytes, over the limit", len(out))
	}
}

func TestInputFromStorage(t *testing.T) {
	ctx := context.Background()
	b, _ := storage.Open(ctx, "mem://worker-in")
	in := `"` + strings.Repeat("y", 200000) + `"`
	if err := b.Put(ctx, "overcast/j/in/0.4", []byte(in)); err != nil {
		t.Fatal(err)
	}
	req := &Request{Task: "wtest/len", Limit: limit, Storage: "mem://worker-in", InputKey: "overcast/j/in/0.4", Input: json.RawMessage(`null`)}
	resp, err := DecodeResponse(Handle(ctx, AppendRequest(nil, req)))
	if err != nil || resp.Error != nil || string(resp.Output) != "200002" {
		t.Fatalf("answer %+v, %v; want the length of the stored input", resp, err)
	}
	req.InputKey = "overcast/j/in/missing"
	resp, _ = DecodeResponse(Handle(ctx, AppendRequest(nil, req)))
	if resp.Error == nil || resp.Error.Kind != "input" || !strings.Contains(resp.Error.Message, "no such object") {
		t.Fatalf("missing input: answer %+v, want an input error saying the object is missing", resp.Error)
	}
}

func TestTooBigErrorIsCut(t *testing.T) {
	out := Handle(context.Background(), AppendRequest(nil, &Request{Task: "wtest/loud", Limit: limit, Input: json.RawMessage(`1`)}))
	resp, err := DecodeResponse(out)
	if err != nil || resp.Error == nil || !Fits(len(out), limit) {
		t.Fatalf("answer of %d bytes, %v: want an error that fits %d", len(out), err, limit)
	}
}
