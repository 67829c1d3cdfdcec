package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/overcast-sc/overcast/backend/drivertest/selftest"
)

func TestAuth(t *testing.T) {
	s := newServer(t, nil)
	tests := []struct {
		name, auth, path string
		want             int
		msg              string
	}{
		{"none", "", "/namespaces/_/limits", 401, msgNoAuth},
		{"wrong key", "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), "/namespaces/_/limits", 401, msgBadAuth},
		{"not basic", "Bearer x", "/namespaces/_/limits", 401, msgBadAuth},
		{"other namespace", "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Auth())), "/namespaces/other/limits", 403, msgForbidden("other")},
		{"own namespace", "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Auth())), "/namespaces/guest/limits", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.APIHost()+"/api/v1"+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errorBody
			json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.want || (tt.msg != "" && e.Error != tt.msg) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, e.Error, tt.want, tt.msg)
			}
			if tt.msg != "" && len(e.Code) != 32 {
				t.Errorf("error code %q is not a transaction id", e.Code)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Mode: "docker"}, {Concurrency: -1}, {ColdStart: -time.Second},
		{Faults: Faults{CrashRate: 1.5}}, {Faults: Faults{LostRate: -0.1}}, {Auth: "nocolon"},
		{Faults: Faults{StragglerSlowdown: 0.5}},
	} {
		if s, err := New(&o); err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestActionLifecycle(t *testing.T) {
	s := newServer(t, nil)
	code := dummyZip(t)
	body := map[string]any{
		"exec":        map[string]any{"kind": "go:1.24", "code": code, "main": "main"},
		"annotations": []map[string]any{{"key": "overcast-code-sha256", "value": "abc"}, {"key": "n", "value": 3}},
		"parameters":  []map[string]any{{"key": "p", "value": "bound"}},
		"limits":      map[string]int{"timeout": 5000, "memory": 512, "concurrency": 4},
	}
	b := mustCall(t, s, 200, "PUT", "/namespaces/_/actions/hello", body)
	doc := decode[actionDoc](t, b)
	if doc.Name != "hello" || doc.Namespace != "guest" || doc.Version != "0.0.1" || doc.Exec.Code != "" || !doc.Exec.Binary {
		t.Errorf("put answered %s", b)
	}
	mustCall(t, s, 409, "PUT", "/namespaces/_/actions/hello", body)
	b = mustCall(t, s, 200, "PUT", "/namespaces/_/actions/hello?overwrite=true", body)
	if v := decode[actionDoc](t, b).Version; v != "0.0.2" {
		t.Errorf("version after update %s", v)
	}

	b = mustCall(t, s, 200, "GET", "/namespaces/guest/actions/hello", nil)
	doc = decode[actionDoc](t, b)
	if doc.Exec.Code != code || doc.Exec.Kind != "go:1.24" || doc.Exec.Main != "main" {
		t.Errorf("get: exec %+v", doc.Exec)
	}
	if want := `[{"key":"overcast-code-sha256","value":"abc"},{"key":"n","value":3},{"key":"exec","value":"go:1.24"}]`; string(doc.Annotations) != want {
		t.Errorf("annotations %s, want %s", doc.Annotations, want)
	}
	if doc.Limits != (actionLimits{Timeout: 5000, Memory: 512, Logs: 10, Concurrency: 4}) {
		t.Errorf("limits %+v", doc.Limits)
	}
	b = mustCall(t, s, 200, "GET", "/namespaces/_/actions/hello?code=false", nil)
	if strings.Contains(string(b), `"code"`) {
		t.Errorf("code=false still has code: %.200s", b)
	}
	b = mustCall(t, s, 200, "GET", "/namespaces/_/actions", nil)
	if list := decode[[]actionDoc](t, b); len(list) != 1 || list[0].Name != "hello" {
		t.Errorf("list %s", b)
	}
	mustCall(t, s, 200, "DELETE", "/namespaces/_/actions/hello", nil)
	mustCall(t, s, 404, "GET", "/namespaces/_/actions/hello", nil)
	mustCall(t, s, 404, "DELETE", "/namespaces/_/actions/hello", nil)
	mustCall(t, s, 404, "POST", "/namespaces/_/actions/hello", map[string]any{})
}

func TestActionRejects(t *testing.T) {
	s := newServer(t, nil)
	good := dummyZip(t)
	tests := []struct {
		name string
		body any
		want int
	}{
		{"no exec", map[string]any{"annotations": []any{}}, 400},
		{"not json", []byte("{"), 400},
		{"not a zip", map[string]any{"exec": map[string]any{"kind": "nodejs:20", "code": "function main(){}"}}, 400},
		{"timeout too long", map[string]any{"exec": map[string]any{"kind": "go:1.24", "code": good}, "limits": map[string]int{"timeout": 400000}}, 400},
		{"memory too small", map[string]any{"exec": map[string]any{"kind": "go:1.24", "code": good}, "limits": map[string]int{"memory": 64}}, 400},
		{"bad annotations", map[string]any{"exec": map[string]any{"kind": "go:1.24", "code": good}, "annotations": "x"}, 400},
		{"too large", []byte(`{"exec":{"kind":"go:1.24","code":"` + strings.Repeat("A", maxActionBody) + `"}}`), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, b, _ := call(t, s, "PUT", "/namespaces/_/actions/x?overwrite=true", tt.body)
			if code != tt.want {
				t.Errorf("status %d, want %d: %.300s", code, tt.want, b)
			}
		})
	}
}

func TestLimitsDocument(t *testing.T) {
	s := newServer(t, &Options{Concurrency: 20, PerMinute: 100})
	l := decode[map[string]any](t, mustCall(t, s, 200, "GET", "/namespaces/_/limits", nil))
	if l["concurrentInvocations"] != 20.0 || l["invocationsPerMinute"] != 100.0 {
		t.Errorf("limits %v", l)
	}
	s2 := newServer(t, nil)
	l = decode[map[string]any](t, mustCall(t, s2, 200, "GET", "/namespaces/_/limits", nil))
	if l["concurrentInvocations"] != float64(defaultConcurrency) || l["invocationsPerMinute"] != float64(unlimited) {
		t.Errorf("default limits %v", l)
	}
}

func TestInvokeShapes(t *testing.T) {
	s := newServer(t, nil)
	putAction(t, s, "echo", dummyZip(t), map[string]int{"timeout": 3000})
	req := echoRequest(t, `{"n":7}`)

	code, b, h := call(t, s, "POST", "/namespaces/_/actions/echo?blocking=false", req)
	id := decode[map[string]string](t, b)["activationId"]
	if code != 202 || len(id) != 32 || h.Get("x-openwhisk-activation-id") != id {
		t.Fatalf("non-blocking: %d %s header %q", code, b, h.Get("x-openwhisk-activation-id"))
	}
	a := waitActivation(t, s, id)
	if a.ActivationID != id || a.Name != "echo" || a.Namespace != "guest" || a.Version != "0.0.1" || a.Subject != "guest" ||
		a.Duration == nil || a.End < a.Start || a.Logs == nil || a.Response == nil || a.Response.Status != "success" || !a.Response.Success {
		t.Errorf("activation %+v %s", a, a.Response.Result)
	}
	if !strings.Contains(string(a.Response.Result), `"output":{"n":7,"attempt":1}`) {
		t.Errorf("result %s", a.Response.Result)
	}
	for _, k := range []string{"waitTime", "kind", "limits", "path", "initTime"} {
		if a.annotation(k) == "" {
			t.Errorf("annotation %s missing: %+v", k, a.Annotations)
		}
	}
	if a.annotation("timeout") != "false" {
		t.Errorf("timeout annotation %q", a.annotation("timeout"))
	}

	code, b, h = call(t, s, "POST", "/namespaces/_/actions/echo?blocking=true", req)
	a2 := decode[activation](t, b)
	if code != 200 || a2.Response == nil || h.Get("x-openwhisk-activation-id") != a2.ActivationID || a2.annotation("initTime") != "" {
		t.Errorf("blocking: %d %s", code, b)
	}
	b = mustCall(t, s, 200, "POST", "/namespaces/_/actions/echo?blocking=true&result=true", req)
	if !strings.HasPrefix(string(b), `{"output":{"n":7`) {
		t.Errorf("result only: %s", b)
	}
	b = mustCall(t, s, 200, "GET", "/namespaces/_/activations/"+id+"/result", nil)
	if r := decode[responseDoc](t, b); r.Status != "success" || !strings.Contains(string(r.Result), `"n":7`) {
		t.Errorf("/result: %s", b)
	}
	b = mustCall(t, s, 200, "GET", "/namespaces/_/activations/"+id+"/logs", nil)
	if string(b) != `{"logs":[]}` {
		t.Errorf("/logs: %s", b)
	}
	mustCall(t, s, 404, "GET", "/namespaces/_/activations/0123456789abcdef0123456789abcdef", nil)
	mustCall(t, s, 400, "POST", "/namespaces/_/actions/echo", []byte(`[1,2]`))
}

func TestInvokeErrors(t *testing.T) {
	s := newServer(t, &Options{ResultLimit: 5000, PayloadLimit: 8000})
	putAction(t, s, "echo", dummyZip(t), map[string]int{"timeout": 200})
	tests := []struct {
		name, input string
		code        int
		status      string
		msg         string
		timeout     bool
	}{
		{"task error", `{"fail":"boom"}`, 502, "application error", `"message":"boom"`, false},
		{"panic", `{"panic":"oops"}`, 502, "application error", `"kind":"panic"`, false},
		{"result limit", `{"pad":"` + strings.Repeat("p", 5200) + `"}`, 502, "application error", "exceeded the allowed length: ", false},
		{"timeout", `{"sleep_ms":5000}`, 502, "action developer error", msgTimeout(200), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, b, _ := call(t, s, "POST", "/namespaces/_/actions/echo?blocking=true", echoRequest(t, tt.input))
			a := decode[activation](t, b)
			if code != tt.code || a.Response == nil || a.Response.Status != tt.status || !strings.Contains(string(a.Response.Result), tt.msg) {
				t.Fatalf("got %d %s", code, b)
			}
			if got := a.annotation("timeout") == "true"; got != tt.timeout {
				t.Errorf("timeout annotation %v", got)
			}
		})
	}
	code, b, _ := call(t, s, "POST", "/namespaces/_/actions/echo", echoRequest(t, `{"pad":"`+strings.Repeat("p", 8100)+`"}`))
	if code != 413 || !strings.Contains(string(b), "larger than allowed") {
		t.Errorf("payload limit: %d %s", code, b)
	}
	if st := s.Stats(); st.Timeouts != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestListActivations(t *testing.T) {
	s := newServer(t, nil)
	putAction(t, s, "a", dummyZip(t), nil)
	putAction(t, s, "b", dummyZip(t), nil)
	var ids []string
	for i := 0; i < 5; i++ {
		name := "a"
		if i == 4 {
			name = "b"
		}
		b := mustCall(t, s, 200, "POST", "/namespaces/_/actions/"+name+"?blocking=true", echoRequest(t, fmt.Sprintf(`{"n":%d}`, i)))
		ids = append(ids, decode[activation](t, b).ActivationID)
		time.Sleep(3 * time.Millisecond) // distinct start times
	}
	list := func(q string) []activation {
		return decode[[]activation](t, mustCall(t, s, 200, "GET", "/namespaces/_/activations?"+q, nil))
	}
	got := list("")
	if len(got) != 5 || got[0].ActivationID != ids[4] || got[4].ActivationID != ids[0] {
		t.Fatalf("default listing not newest first: %+v", got)
	}
	if got[0].Response != nil || got[0].StatusCode == nil || *got[0].StatusCode != 0 {
		t.Errorf("summary has %+v", got[0])
	}
	page := list("name=a&limit=2&skip=1")
	if len(page) != 2 || page[0].ActivationID != ids[2] || page[1].ActivationID != ids[1] {
		t.Errorf("paged: %+v", page)
	}
	docs := list("docs=true&limit=1")
	if len(docs) != 1 || docs[0].Response == nil || docs[0].Response.Status != "success" {
		t.Errorf("docs: %+v", docs)
	}
	since := list("since=" + fmt.Sprint(got[1].Start) + "&upto=" + fmt.Sprint(got[1].Start))
	if len(since) != 1 || since[0].ActivationID != ids[3] {
		t.Errorf("since/upto: %+v", since)
	}
	b := mustCall(t, s, 200, "GET", "/namespaces/_/activations?count=true&name=a", nil)
	if string(b) != `{"activations":4}` {
		t.Errorf("count: %s", b)
	}
	mustCall(t, s, 400, "GET", "/namespaces/_/activations?limit=201", nil)
	mustCall(t, s, 400, "GET", "/namespaces/_/activations?since=x", nil)
}
