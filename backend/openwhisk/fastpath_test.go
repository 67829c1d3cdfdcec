package openwhisk

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAcceptedIDAgreesWithTheDecoder(t *testing.T) {
	for _, body := range []string{
		`{"activationId":"0123456789abcdef0123456789abcdef"}`,
		`{"activationId":"a"}`,
		`{"activationId":""}`,
		`{"activationId":"a\"b"}`,
		`{"activationId":"a\u0041"}`,
		`{"activationId":"a"} `,
		`{"activationId":"a","response":{"status":"success","success":true,"result":{}}}`,
		`{"activationId":"é"}`,
		`{"activationId":1}`,
		`{"activationId":"`,
		``,
	} {
		id, ok := acceptedID([]byte(body))
		var a Activation
		decoded := json.Unmarshal([]byte(body), &a) == nil && a.ActivationID != "" && a.Response == nil
		if ok && (!decoded || id != a.ActivationID) {
			t.Errorf("%s: fast path read %q, the decoder %q (ok %v)", body, id, a.ActivationID, decoded)
		}
		if want := body == `{"activationId":"0123456789abcdef0123456789abcdef"}` || body == `{"activationId":"a"}`; ok != want {
			t.Errorf("%s: fast path ok %v, want %v", body, ok, want)
		}
	}
}

// shortBody ends with an unexpected EOF before its announced length.
type shortBody struct{ r io.Reader }

func (b shortBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
func (shortBody) Close() error { return nil }

func TestReadAtMost(t *testing.T) {
	resp := func(body string, cl int64) *http.Response {
		return &http.Response{Body: io.NopCloser(strings.NewReader(body)), ContentLength: cl}
	}
	tests := []struct {
		body string
		cl   int64
		n    int64
		want string
	}{
		{"hello", 5, 100, "hello"},
		{"", 0, 100, ""},
		{"hello", -1, 100, "hello"},
		{"hello", -1, 3, "hel"},
		{"hello", 5, 3, "hel"},
		{"hello", 5, 6, "hello"},
		{"hello world", 5, 8, "hello wo"}, // longer than announced
		{"hello world", 5, 100, "hello world"},
	}
	for _, tt := range tests {
		got, err := readAtMost(resp(tt.body, tt.cl), tt.n)
		if err != nil || string(got) != tt.want {
			t.Errorf("%q (length %d) at most %d: %q, %v; want %q", tt.body, tt.cl, tt.n, got, err, tt.want)
		}
	}
	if _, err := readAtMost(&http.Response{Body: shortBody{strings.NewReader("hel")}, ContentLength: 5}, 100); err == nil {
		t.Error("a body shorter than announced read without an error")
	}
	if _, err := readAtMost(resp("hel", 5), 100); err != io.ErrUnexpectedEOF {
		t.Errorf("a body that ends early: %v, want an unexpected EOF", err)
	}
}

func TestActivationIDAgreesWithTheDecoder(t *testing.T) {
	for _, raw := range []string{
		`{"activationId":"abc","name":"overcast"}`,
		`{"name":"overcast","activationId":"abc"}`,
		`{"response":{"result":{"activationId":"inner"}},"activationId":"outer"}`,
		`{"activationId":"a\"b","name":"x"}`,
		`{"activationId":"a\\b"}`,
		`{"activationId":"","name":"x"}`,
	} {
		got, err := activationID([]byte(raw))
		var a Activation
		if e := json.Unmarshal([]byte(raw), &a); e != nil || err != nil || string(got) != a.ActivationID {
			t.Errorf("%s: read %q (%v), the decoder %q (%v)", raw, got, err, a.ActivationID, e)
		}
	}
	if _, err := activationID([]byte(`{"activationId":1}`)); err == nil {
		t.Error("a numeric id read without an error")
	}
}

func TestAwaitedDecodesOnlyAwaitedRecords(t *testing.T) {
	k := &collector{pending: map[string]*waiter{"b": {}}}
	page := `[{"activationId":"a","start":1},{"activationId":"b","start":2,"response":{"status":"success","success":true,"result":{"x":1}}},{"activationId":"c","start":"not a number"}]`
	recs, n, err := k.awaited([]byte(page))
	if err != nil || n != 3 || len(recs) != 1 || recs[0].ActivationID != "b" || recs[0].Start != 2 || string(recs[0].Response.Result) != `{"x":1}` {
		t.Fatalf("awaited: %+v, %d, %v", recs, n, err)
	}
	if _, _, err := k.awaited([]byte(`{"not":"a list"}`)); err == nil {
		t.Error("a page that is not a list read without an error")
	}
}

func TestAnnotationTextAgreesWithTheDecoder(t *testing.T) {
	for _, v := range []string{`"text"`, `"a\"b"`, `12`, `true`, `null`, `{"memory":256}`, `[1]`, `"bad`, ``} {
		var s string
		want := string(v)
		if json.Unmarshal([]byte(v), &s) == nil {
			want = s
		}
		if got := annotationText(json.RawMessage(v)); got != want {
			t.Errorf("%s: %q, want %q", v, got, want)
		}
	}
}
