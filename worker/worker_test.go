package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func init() {
	Register("wtest/echo", func(ctx context.Context, in []byte) ([]byte, error) { return in, nil })
	Register("wtest/fail", func(ctx context.Context, in []byte) ([]byte, error) { return nil, errors.New("no luck") })
	Register("wtest/panic", func(ctx context.Context, in []byte) ([]byte, error) { panic("oh no") })
	Register("wtest/bad", func(ctx context.Context, in []byte) ([]byte, error) { return []byte("{oops"), nil })
	Register("wtest/req", func(ctx context.Context, in []byte) ([]byte, error) {
		r := RequestFrom(ctx)
		return json.Marshal([]int{r.Index, r.Attempt})
	})
}

func TestAppendRequestMatchesEncodingJSON(t *testing.T) {
	for _, r := range []*Request{
		{Task: "a/b", Input: json.RawMessage(`{"x":1}`), Job: "j1", Index: 3, Attempt: 2, DeadlineMS: 99},
		{Task: "t", Input: json.RawMessage(`[1,2]`)},
		{Task: "weird \"name\"\n<é>", Input: json.RawMessage(`"s"`), Job: "j\\x"},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendRequest(nil, r); string(got) != string(want) {
			t.Errorf("AppendRequest = %s\nencoding/json = %s", got, want)
		}
	}
}

func TestAppendResponseMatchesEncodingJSON(t *testing.T) {
	for _, r := range []*Response{
		{Output: json.RawMessage(`{"n":1}`), Stats: Stats{StartNS: 1, EndNS: 2, Cold: true}},
		{Error: &TaskError{Kind: "panic", Message: "x\ty", Stack: "s"}, Stats: Stats{StartNS: 5, EndNS: 6}},
	} {
		want, _ := json.Marshal(r)
		if got := AppendResponse(nil, r); string(got) != string(want) {
			t.Errorf("AppendResponse = %s\nencoding/json = %s", got, want)
		}
	}
}

func handle(t *testing.T, req string) *Response {
	t.Helper()
	resp, err := DecodeResponse(Handle(context.Background(), []byte(req)))
	if err != nil {
		t.Fatalf("Handle(%s) gave an undecodable response: %v", req, err)
	}
	return resp
}

func TestHandle(t *testing.T) {
	tests := []struct {
		req, wantOut, wantKind, wantMsg string
	}{
		{`{"task":"wtest/echo","input":{"a":[1]}}`, `{"a":[1]}`, "", ""},
		{`{"task":"wtest/req","input":null,"index":7,"attempt":3}`, `[7,3]`, "", ""},
		{`{"task":"wtest/fail","input":1}`, "", "error", "no luck"},
		{`{"task":"wtest/panic","input":1}`, "", "panic", "oh no"},
		{`{"task":"wtest/bad","input":1}`, "", "error", "not valid JSON"},
		{`{"task":"wtest/nope","input":1}`, "", "unknown-task", "wtest/echo"},
		{`{"task":`, "", "input", "decode task envelope"},
		{`{"input":1}`, "", "input", "no task name"},
		{``, "", "input", "decode task envelope"},
	}
	for _, tt := range tests {
		r := handle(t, tt.req)
		if tt.wantKind == "" {
			if r.Error != nil || string(r.Output) != tt.wantOut {
				t.Errorf("Handle(%s) = %s, %v; want %s", tt.req, r.Output, r.Error, tt.wantOut)
			}
			continue
		}
		if r.Error == nil || r.Error.Kind != tt.wantKind || !strings.Contains(r.Error.Message, tt.wantMsg) {
			t.Errorf("Handle(%s) error = %+v; want kind %s containing %q", tt.req, r.Error, tt.wantKind, tt.wantMsg)
		}
		if r.Stats.EndNS < r.Stats.StartNS || r.Stats.StartNS == 0 {
			t.Errorf("Handle(%s) stats = %+v", tt.req, r.Stats)
		}
	}
}

func TestPanicCarriesStack(t *testing.T) {
	r := handle(t, `{"task":"wtest/panic","input":1}`)
	if !strings.Contains(r.Error.Stack, "worker_test.go") {
		t.Fatalf("stack does not show the panicking function:\n%s", r.Error.Stack)
	}
}

func TestDecodeResponseRejectsEmpty(t *testing.T) {
	for _, s := range []string{`{}`, `{"stats":{}}`, `nope`} {
		if _, err := DecodeResponse([]byte(s)); err == nil {
			t.Errorf("DecodeResponse(%s) succeeded", s)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"task":"wtest/echo","input":{"a":1},"index":1}`))
	f.Add([]byte(`{"task":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := Handle(context.Background(), b)
		if _, err := DecodeResponse(out); err != nil {
			t.Fatalf("Handle produced an undecodable response %q for %q", out, b)
		}
	})
}
