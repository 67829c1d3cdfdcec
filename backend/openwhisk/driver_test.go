package openwhisk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

func echoPayload(t *testing.T, n int) []byte {
	in, _ := json.Marshal(selftest.Input{N: n})
	p, err := worker.EncodeRequest(&worker.Request{Task: selftest.Echo, Input: in, Index: n, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformanceOnFake(t *testing.T) {
	for _, mode := range []string{CollectList, CollectPoll, CollectBlocking} {
		t.Run(mode, func(t *testing.T) {
			f := newFake(t)
			f.actions["overcast"] = json.RawMessage(`{}`)
			drivertest.RunConformanceTests(t, drivertest.Harness{
				Open: func(ctx context.Context, t *testing.T) (*backend.Backend, error) {
					d, err := f.open(t, Options{Collect: mode})
					if err != nil {
						return nil, err
					}
					return backend.New("openwhisk", d), nil
				},
				Large: 1000,
			})
		})
	}
}

func TestActivationTimes(t *testing.T) {
	f := newFake(t)
	f.actions["overcast"] = json.RawMessage(`{}`)
	d, err := f.open(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Capacity() != 50 {
		t.Errorf("Capacity = %d, want the namespace's 50", d.Capacity())
	}
	act, err := d.Invoke(context.Background(), &driver.Invocation{Task: selftest.Echo, Payload: echoPayload(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if act.Wait != 7*time.Millisecond || act.Init != 3*time.Millisecond || act.MemoryMB != 512 || act.ID == "" || act.Start.IsZero() {
		t.Errorf("activation = %+v; want wait 7ms, init 3ms, 512 MB, an id and a start", act)
	}
}

func TestErrorMapping(t *testing.T) {
	envelope := string(worker.AppendResponse(nil, &worker.Response{Error: &worker.TaskError{Kind: "error", Message: "task says no"}}))
	record := func(status, result string, ann string) string {
		return `{"activationId":"a1","name":"overcast","start":1,"end":2,"duration":1,"annotations":[` + ann + `],
			"response":{"status":"` + status + `","success":false,"result":` + result + `}}`
	}
	tests := []struct {
		name   string
		status int
		body   string
		code   driver.ErrorCode
		want   string // in the error message; empty means no error
	}{
		{"concurrent 429", 429, `{"error":"Too many concurrent requests in flight (count: 30, allowed: 30).","code":"t"}`, driver.ResourceExhausted, "Too many concurrent"},
		{"per-minute 429", 429, `{"error":"Too many requests in the last minute (count: 61, allowed: 60).","code":"t"}`, driver.ResourceExhausted, "last minute"},
		{"application error", 502, record("application error", envelope, ""), driver.OK, ""},
		{"developer error", 502, record("action developer error", `{"error":"The action did not produce a valid response and exited unexpectedly."}`, ""), driver.Crashed, "exited unexpectedly"},
		{"platform timeout", 502, record("action developer error", `{"error":"The action exceeded its time limits of 60000 milliseconds."}`, `{"key":"timeout","value":true}`), driver.TaskFailed, "time limit"},
		{"internal error", 502, record("whisk internal error", `{"error":"oops"}`, ""), driver.Unavailable, "oops"},
		{"bad gateway", 502, `<html>Bad Gateway</html>`, driver.Unavailable, "Bad Gateway"},
		{"500", 500, `{"error":"internal"}`, driver.Unavailable, "internal"},
		{"503", 503, `{"error":"System is overloaded, try again later."}`, driver.Unavailable, "overloaded"},
		{"504", 504, ``, driver.Unavailable, "504"},
		{"401", 401, `{"error":"The supplied authentication is invalid"}`, driver.PermissionDenied, "refused the credentials (401); check AUTH in ~/.wskprops"},
		{"403", 403, `{"error":"not entitled ` + fakeAuth + `"}`, driver.PermissionDenied, "(403)"},
		{"404", 404, `{"error":"The requested resource does not exist."}`, driver.NotFound, "action overcast not found; deploy it first"},
		{"413", 413, `{"error":"too big"}`, driver.InvalidArgument, "payload limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.invoke = func(w http.ResponseWriter, r *http.Request) bool {
				writeJSON(w, tt.status, tt.body)
				return true
			}
			d, err := f.open(t, Options{Collect: CollectBlocking})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			act, err := d.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
			if tt.want == "" {
				if err != nil || act == nil {
					t.Fatalf("Invoke = %v, want the activation", err)
				}
				if r, err := worker.DecodeResponse(act.Payload); err != nil || r.Error == nil || r.Error.Message != "task says no" {
					t.Errorf("payload %s does not carry the task's error", act.Payload)
				}
				return
			}
			if got := d.ErrorCode(err); got != tt.code {
				t.Errorf("code = %v, want %v (err %v)", got, tt.code, err)
			}
			// An activation that ran bills its recorded duration (1 ms here).
			var be driver.BilledError
			billed, want := time.Duration(0), time.Duration(0)
			if errors.As(err, &be) {
				billed = be.BilledDuration()
			}
			if tt.code == driver.Crashed || tt.code == driver.TaskFailed {
				want = time.Millisecond
			}
			if billed != want {
				t.Errorf("error %v: billed %v, want %v", err, billed, want)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), "secretKEY") || strings.Contains(err.Error(), "23bc46b1")) {
				t.Errorf("error %q shows the credentials", err)
			}
		})
	}
}

func TestThrottleLearnsLimits(t *testing.T) {
	f := newFake(t)
	f.invoke = func(w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, 429, `{"error":"Too many concurrent requests in flight (count: 12, allowed: 10)."}`)
		return true
	}
	d, err := f.open(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := backend.New("openwhisk", d)
	defer b.Close()
	_, err = b.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
	if !backend.Code(err).Retryable() {
		t.Fatalf("429 error %v is not retryable", err)
	}
	var te driver.PerMinuteError
	if !errors.As(err, &te) || te.Limit() != 10 || te.PerMinute() || te.RetryAfter() != 0 {
		t.Fatalf("429 error %v does not say the concurrency limit 10", err)
	}
	if fl := b.Flow(); fl.Window != 5 || fl.MaxWindow != 10 || fl.PerMinute != 0 {
		t.Errorf("flow after a throttle = %+v, want window 5 (half the allowed 10), unpaced", fl)
	}
	f.invoke = func(w http.ResponseWriter, r *http.Request) bool {
		writeJSON(w, 429, `{"error":"Too many requests in the last minute (count: 40, allowed: 40)."}`)
		return true
	}
	_, err = b.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
	if !errors.As(err, &te) || te.Limit() != 40 || !te.PerMinute() {
		t.Fatalf("429 error %v does not say the per-minute limit 40", err)
	}
	if fl := b.Flow(); fl.Burst != 2 || fl.PerMinute != 40 || fl.Window != 5 {
		t.Errorf("flow after a per-minute throttle = %+v, want burst 2 (40/20) of 40 a minute, window still 5", fl)
	}
}

func TestPayloadTooLarge(t *testing.T) {
	f := newFake(t)
	d, err := f.open(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Invoke(context.Background(), &driver.Invocation{Index: 4, Payload: make([]byte, 1<<20+1)})
	if d.ErrorCode(err) != driver.InvalidArgument || !strings.Contains(err.Error(), "object storage") {
		t.Errorf("err = %v (%v), want InvalidArgument suggesting object storage", err, d.ErrorCode(err))
	}
}

func TestLostActivation(t *testing.T) {
	for _, mode := range []string{CollectList, CollectPoll} {
		t.Run(mode, func(t *testing.T) {
			f := newFake(t)
			f.invoke = func(w http.ResponseWriter, r *http.Request) bool {
				writeJSON(w, 202, `{"activationId":"never"}`)
				return true
			}
			d, err := f.open(t, Options{Collect: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			inv := &driver.Invocation{Payload: echoPayload(t, 1), Deadline: time.Now().Add(300 * time.Millisecond)}
			_, err = d.Invoke(context.Background(), inv)
			var le *LostError
			if !errors.As(err, &le) || d.ErrorCode(err) != driver.Lost {
				t.Fatalf("err = %v, want a Lost error", err)
			}
		})
	}
}

func TestListCollectsWithFewRequests(t *testing.T) {
	f := newFake(t)
	f.actions["overcast"] = json.RawMessage(`{}`)
	d, err := f.open(t, Options{Collect: CollectList})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 400
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := d.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, i)})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gets > 0 || f.lists >= n {
		t.Errorf("%d activations took %d GETs and %d lists; want no GETs and fewer lists than activations", n, f.gets, f.lists)
	}
}

func TestOpenRefusedCredentials(t *testing.T) {
	f := newFake(t)
	env := map[string]string{"WHISK_APIHOST": f.srv.URL, "WHISK_AUTH": "someone:wrongSECRET", "HOME": t.TempDir()}
	_, err := Open(context.Background(), &Options{Getenv: func(k string) string { return env[k] }})
	if errorCode(err) != driver.PermissionDenied || strings.Contains(err.Error(), "wrongSECRET") {
		t.Fatalf("err = %v, want PermissionDenied without the key", err)
	}
}

func TestDeploySkipsSameCode(t *testing.T) {
	f := newFake(t)
	d, err := f.open(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	code := []byte("zip-bytes-1")
	d.buildArchive = func(ctx context.Context, k *kind) ([]byte, string, error) { return code, "", nil }
	info, err := d.Deploy(context.Background())
	if err != nil || !info.Uploaded {
		t.Fatalf("first Deploy = %+v, %v; want an upload", info, err)
	}
	var a Action
	json.Unmarshal(f.actions["overcast"], &a)
	if a.Exec.Kind != DefaultKind || !a.Exec.Binary || a.Limits.Memory != 256 || a.Limits.Timeout != 60000 ||
		annotation(a.Annotations, CodeHashAnnotation) != info.CodeHash {
		t.Errorf("stored action = %s", f.actions["overcast"])
	}
	d2, _ := f.open(t, Options{})
	defer d2.Close()
	d2.buildArchive = d.buildArchive
	if info, err := d2.Deploy(context.Background()); err != nil || info.Uploaded {
		t.Errorf("second Deploy of the same code = %+v, %v; want no upload", info, err)
	}
	d3, _ := f.open(t, Options{MemoryMB: 512})
	defer d3.Close()
	d3.buildArchive = d.buildArchive
	if info, err := d3.Deploy(context.Background()); err != nil || !info.Uploaded {
		t.Errorf("Deploy with other limits = %+v, %v; want an upload", info, err)
	}
	if err := d3.Undeploy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.actions["overcast"]; ok {
		t.Error("Undeploy left the action")
	}
	if err := d3.Undeploy(context.Background()); !errors.Is(err, driver.ErrNotDeployed) {
		t.Errorf("second Undeploy: %v, want ErrNotDeployed", err)
	}
}

func TestURLNeverTakesCredentials(t *testing.T) {
	_, err := backend.Open(context.Background(), "openwhisk://?auth="+fakeAuth)
	if err == nil || strings.Contains(err.Error(), "secretKEY") {
		t.Fatalf("Open with auth in the URL: %v; want a refusal that does not repeat the key", err)
	}
}
