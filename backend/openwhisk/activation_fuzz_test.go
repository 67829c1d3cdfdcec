package openwhisk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// cannedTransport answers every request with one status, activation id
// header and body, without a socket.
type cannedTransport struct {
	status int
	id     string
	body   []byte
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if c.id != "" {
		h.Set("X-Openwhisk-Activation-Id", c.id)
	}
	return &http.Response{StatusCode: c.status, Header: h, Body: io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)), Request: r}, nil
}

const fuzzKey = "fuzzSecretKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"

// cannedClient returns a Client whose every answer is t's.
func cannedClient(t testing.TB, tr http.RoundTripper) *Client {
	c, err := NewClient(&Config{APIHost: "http://ow.invalid", Auth: "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + fuzzKey})
	if err != nil {
		t.Fatal(err)
	}
	c.hc = &http.Client{Transport: tr}
	return c
}

var fuzzStatuses = []int{200, 202, 500, 502, 400, 401, 403, 404, 409, 413, 429, 503}

// FuzzActivation feeds arbitrary API answers to the client's invoke, get
// and list calls and the records they return to the driver's conversion.
// It checks that nothing panics, that errors never show the key (even when
// the server echoes it), that a successful invoke has an activation id and
// a returned record carries a response, that records survive a JSON round
// trip, and that the driver turns each record either into an Activation
// whose payload is a worker.Response or into a classified error.
func FuzzActivation(f *testing.F) {
	rec := `{"activationId":"0123456789abcdef0123456789abcdef","namespace":"guest","name":"overcast","start":1700000000000,"end":1700000000100,"duration":100,` +
		`"annotations":[{"key":"waitTime","value":7},{"key":"initTime","value":30},{"key":"limits","value":{"memory":512,"timeout":60000}}],` +
		`"response":{"status":"success","success":true,"result":{"output":{"n":1},"stats":{"start_ns":1,"end_ns":2}}}}`
	crash := `{"activationId":"a1","response":{"status":"action developer error","success":false,"result":{"error":"The action did not produce a valid response and exited unexpectedly."}}}`
	timeout := `{"activationId":"a2","annotations":[{"key":"timeout","value":true}],"response":{"status":"action developer error","result":{"error":"The action exceeded its time limits of 100 milliseconds."}}}`
	f.Add(uint8(0), uint8(0), "", []byte(rec))
	f.Add(uint8(0), uint8(1), "", []byte(`{"activationId":"0123456789abcdef0123456789abcdef"}`))
	f.Add(uint8(0), uint8(1), "hdr-id", []byte(`{}`))
	f.Add(uint8(0), uint8(3), "", []byte(crash))
	f.Add(uint8(0), uint8(2), "", []byte(`{"activationId":"a3","response":{"status":"whisk internal error","result":{"error":"boom"}}}`))
	f.Add(uint8(1), uint8(0), "", []byte(timeout))
	f.Add(uint8(1), uint8(0), "", []byte(`{"activationId":"a4","response":{"result":null},"annotations":[{"key":"limits"}]}`))
	f.Add(uint8(1), uint8(7), "", []byte(`{"error":"The requested resource does not exist.","code":"x"}`))
	f.Add(uint8(1), uint8(5), "", []byte(`{"error":"bad key 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:`+fuzzKey+`"}`))
	f.Add(uint8(0), uint8(10), "", []byte(`{"error":"Too many concurrent requests in flight (count: 5, allowed: 4).","code":"c"}`))
	f.Add(uint8(2), uint8(0), "", []byte("["+rec+","+crash+","+timeout+"]"))
	f.Add(uint8(2), uint8(0), "", []byte(`[{"activationId":"x","duration":-5,"start":-1,"annotations":[{"key":"limits","value":"{\"memory\":-1}"}]}]`))
	f.Add(uint8(2), uint8(0), "", []byte(`{"not":"a list"}`))
	f.Fuzz(func(t *testing.T, op, statusIdx uint8, idHeader string, body []byte) {
		tr := &cannedTransport{status: fuzzStatuses[int(statusIdx)%len(fuzzStatuses)], id: idHeader, body: body}
		c := cannedClient(t, tr)
		ctx := context.Background()
		var recs []*Activation
		var err error
		switch op % 4 {
		case 0, 3:
			var id string
			var a *Activation
			id, a, err = c.Invoke(ctx, "overcast", []byte(`{}`), op%4 == 3)
			if err == nil && id == "" {
				t.Fatalf("Invoke (HTTP %d, %q) succeeded without an activation id", tr.status, body)
			}
			if a != nil {
				if a.ActivationID != id || a.Response == nil {
					t.Fatalf("Invoke returned id %q and record %+v", id, a)
				}
				recs = append(recs, a)
			}
		case 1:
			var a *Activation
			if a, err = c.GetActivation(ctx, "0123"); err == nil {
				recs = append(recs, a)
			}
		case 2:
			var list []Activation
			list, err = c.ListActivations(ctx, ListOptions{Name: "overcast", Limit: 200, Docs: true})
			for i := range list {
				recs = append(recs, &list[i])
			}
		}
		if err != nil && strings.Contains(err.Error(), fuzzKey) {
			t.Fatalf("error %q shows the key", err)
		}
		d := &Driver{c: c, opts: Options{Timeout: time.Minute}, memoryMB: 256}
		for _, rec := range recs {
			checkRecord(t, d, rec)
		}
	})
}

// checkRecord checks a record's JSON round trip and its conversion.
func checkRecord(t *testing.T, d *Driver, rec *Activation) {
	t.Helper()
	b1, err := json.Marshal(rec)
	if err != nil {
		t.Fatalf("marshal a decoded record: %v", err)
	}
	var again Activation
	if err := json.Unmarshal(b1, &again); err != nil {
		t.Fatalf("decode %s: %v", b1, err)
	}
	if b2, _ := json.Marshal(&again); !bytes.Equal(b1, b2) {
		t.Fatalf("round trip changed the record:\n%s\n%s", b1, b2)
	}
	act, err := d.activation(context.Background(), rec)
	if err != nil {
		switch errorCode(err) {
		case driver.TaskFailed, driver.Crashed, driver.Unavailable:
		default:
			t.Fatalf("activation(%s): error %v with code %v", b1, err, errorCode(err))
		}
		return
	}
	if act.ID != rec.ActivationID || act.MemoryMB <= 0 {
		t.Fatalf("activation(%s) = %+v", b1, act)
	}
	if _, err := worker.DecodeResponse(act.Payload); err != nil {
		t.Fatalf("activation(%s) succeeded with a payload that is no worker response: %v", b1, err)
	}
}
