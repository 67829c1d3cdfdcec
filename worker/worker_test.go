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

func TestAppendRequestDecodesLikeEncodingJSON(t *testing.T) {
	for _, r := range []*Request{
		{Task: "a/b", Input: json.RawMessage(`{"x":1}`), Job: "j1", Index: 3, Attempt: 2, DeadlineMS: 99},
		{Task: "t", Input: json.RawMessage(`[1,2]`)},
		{Task: "weird \"name\"\n<é>", Input: json.RawMessage(`"s"`), Job: "j\\x"},
		{Task: "t", Input: json.RawMessage(`null`), Job: "j", Limit: 1 << 20, Storage: "s3://b?endpoint=http://127.0.0.1:9&region=us-east-1",
			InputKey: "overcast/j/in/0.1", OutputKey: "overcast/j/out/0.1-1"},
		{Task: "t", Input: json.RawMessage(`1`), Storage: "file:///tmp/\"q\"/é"},
	} {
		var got Request
		if err := json.Unmarshal(AppendRequest(nil, r), &got); err != nil {
			t.Fatalf("AppendRequest wrote invalid JSON: %v", err)
		}
		if !sameRequest(&got, r) {
			t.Errorf("AppendRequest round trip = %+v, want %+v", got, r)
		}
	}
}

func TestAppendResponseMatchesEncodingJSON(t *testing.T) {
	for _, r := range []*Response{
		{Output: json.RawMessage(`{"n":1}`), Stats: Stats{StartNS: 1, EndNS: 2, Cold: true}},
		{Error: &TaskError{Kind: "panic", Message: "x\ty", Stack: "s"}, Stats: Stats{StartNS: 5, EndNS: 6}},
		{OutputKey: "overcast/j/out/0.1-2", Stats: Stats{StartNS: 5, EndNS: 6}},
		{Output: json.RawMessage(`1`), Stats: Stats{StartNS: 1, EndNS: 2, ReadBytes: 1 << 40, WrittenBytes: 7}},
		{Output: json.RawMessage(`1`), Stats: Stats{StartNS: 1, EndNS: 2, Cold: true, WrittenBytes: 7}},
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

func TestFastDecodersAgreeWithEncodingJSON(t *testing.T) {
	reqs := [][]byte{
		AppendRequest(nil, &Request{Task: "a/b", Input: json.RawMessage(`{"x":[1,"}"]}`), Job: "j1", Index: 3, Attempt: 2, DeadlineMS: 99}),
		AppendRequest(nil, &Request{Task: "t", Input: json.RawMessage(`null`)}),
		[]byte(`{"task":"t","index":1,"input":{"a":1}}`),
		[]byte(`{"task":"t","index":1,"input":{"a":1} }`),
		[]byte(`{"task":"t","input":{"a":1},"index":1}`),
		[]byte(`{"task":"t\u0041","index":1,"input":1}`),
		[]byte(`{"task":"t","index":1,"input":{"a":1}`),
		[]byte(`{"task":"t","index":x,"input":1}`),
		AppendRequest(nil, &Request{Task: "t", Limit: 5, Storage: "s3://b?x=1&y=2", InputKey: "k", OutputKey: "o", Input: json.RawMessage(`null`)}),
		[]byte(`{"task":"t","index":1,"limit":5,"output_key":"o","input":1}`),
		[]byte(`{"task":"t","index":1,"storage":"a\u0026b","input":1}`),
		[]byte(`{"task":"t","index":1,"limit":"5","input":1}`),
	}
	for _, b := range reqs {
		var want Request
		wantErr := json.Unmarshal(b, &want)
		got, err := DecodeRequest(b)
		if (err != nil) != (wantErr != nil || want.Task == "") {
			t.Errorf("DecodeRequest(%s) error %v, encoding/json error %v", b, err, wantErr)
			continue
		}
		if err == nil && !sameRequest(got, &want) {
			t.Errorf("DecodeRequest(%s) = %+v, encoding/json %+v", b, got, want)
		}
	}
	resps := [][]byte{
		AppendResponse(nil, &Response{Output: json.RawMessage(`{"s":",\"stats\":{\"start_ns\":1,\"end_ns\":2}}"}`), Stats: Stats{StartNS: 5, EndNS: 6, Cold: true}}),
		AppendResponse(nil, &Response{Error: &TaskError{Kind: "error", Message: "m"}, Stats: Stats{StartNS: 5, EndNS: 6}}),
		[]byte(`{"output":1,"stats":{"start_ns":1,"end_ns":2,"cold":false}}`),
		[]byte(`{"output":[1,,"stats":{"start_ns":1,"end_ns":2}}`),
		AppendResponse(nil, &Response{Output: json.RawMessage(`2`), Stats: Stats{StartNS: 5, EndNS: 6, Cold: true, ReadBytes: 10, WrittenBytes: 20}}),
		AppendResponse(nil, &Response{Output: json.RawMessage(`2`), Stats: Stats{StartNS: 5, EndNS: 6, ReadBytes: 10}}),
		[]byte(`{"output":1,"stats":{"start_ns":1,"end_ns":2,"written_bytes":3,"read_bytes":4}}`),
		[]byte(`{"output":1,"stats":{"start_ns":1,"end_ns":2,"read_bytes":x}}`),
	}
	for _, b := range resps {
		var want Response
		wantErr := json.Unmarshal(b, &want)
		got, err := DecodeResponse(b)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("DecodeResponse(%s) error %v, encoding/json error %v", b, err, wantErr)
			continue
		}
		if err == nil && (string(got.Output) != string(want.Output) || got.OutputKey != want.OutputKey || got.Stats != want.Stats || (got.Error == nil) != (want.Error == nil)) {
			t.Errorf("DecodeResponse(%s) = %+v, encoding/json %+v", b, got, want)
		}
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add(AppendResponse(nil, &Response{Output: json.RawMessage(`{"n":1}`), Stats: Stats{StartNS: 1, EndNS: 2}}))
	f.Add([]byte(`{"output":1,"stats":{"start_ns":1,"end_ns":2,"cold":true}}`))
	f.Add([]byte(`{"output":1,"stats":{"start_ns":1,"end_ns":2,"read_bytes":3,"written_bytes":4}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want Response
		wantErr := json.Unmarshal(b, &want)
		got, err := DecodeResponse(b)
		if err == nil && wantErr != nil {
			t.Fatalf("DecodeResponse accepted %q that encoding/json rejects: %v", b, wantErr)
		}
		if err == nil && (string(got.Output) != string(want.Output) || got.OutputKey != want.OutputKey || got.Stats != want.Stats) {
			t.Fatalf("DecodeResponse(%q) = %+v, encoding/json %+v", b, got, want)
		}
	})
}

func FuzzFastRequest(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{Task: "a", Input: json.RawMessage(`{"n":1}`), Job: "j", Index: 2, Attempt: 1, DeadlineMS: 5}))
	f.Add([]byte(`{"task":"t","index":,"input":1}`))
	f.Add(AppendRequest(nil, &Request{Task: "a", Job: "j", Limit: 9, Storage: "mem://m?a=1&b=2", InputKey: "i", OutputKey: "o", Input: json.RawMessage(`null`)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want Request
		wantErr := json.Unmarshal(b, &want)
		got, err := DecodeRequest(b)
		if err == nil && wantErr != nil {
			t.Fatalf("DecodeRequest accepted %q that encoding/json rejects: %v", b, wantErr)
		}
		if err == nil && !sameRequest(got, &want) {
			t.Fatalf("DecodeRequest(%q) = %+v, encoding/json %+v", b, got, want)
		}
	})
}

// sameRequest reports whether two requests are equal field by field.
func sameRequest(a, b *Request) bool {
	return a.Task == b.Task && a.Job == b.Job && a.Index == b.Index && a.Attempt == b.Attempt &&
		a.DeadlineMS == b.DeadlineMS && a.Limit == b.Limit && a.Storage == b.Storage &&
		a.InputKey == b.InputKey && a.OutputKey == b.OutputKey && string(a.Input) == string(b.Input)
}

// TestEnvelopeWithoutStorageIsUnchanged pins the wire form of an envelope
// without a limit or storage: the fields for big payloads add no byte to
// it, and encoding it into a buffer allocates nothing.
func TestEnvelopeWithoutStorageIsUnchanged(t *testing.T) {
	r := &Request{Task: "a/b", Job: "j1", Index: 3, Attempt: 2, DeadlineMS: 99, Input: json.RawMessage(`{"x":1}`)}
	want := `{"task":"a/b","job":"j1","index":3,"attempt":2,"deadline_ms":99,"input":{"x":1}}`
	if got := AppendRequest(nil, r); string(got) != want {
		t.Errorf("AppendRequest = %s, want %s", got, want)
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = AppendRequest(buf[:0], r) }); n != 0 {
		t.Errorf("AppendRequest into a big enough buffer allocates %v times, want 0", n)
	}
	resp := &Response{Output: json.RawMessage(`[1]`), Stats: Stats{StartNS: 1, EndNS: 2}}
	if got, want := AppendResponse(nil, resp), `{"output":[1],"stats":{"start_ns":1,"end_ns":2}}`; string(got) != want {
		t.Errorf("AppendResponse = %s, want %s", got, want)
	}
}
