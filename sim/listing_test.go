package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestListActionsPaging checks skip and limit on the action listing: 30 by
// default, 0 meaning the most (200), newest update first.
func TestListActionsPaging(t *testing.T) {
	s := newServer(t, nil)
	code := dummyZip(t)
	const n = 35
	for i := range n {
		putAction(t, s, fmt.Sprintf("a%02d", i), code, nil)
		time.Sleep(time.Millisecond) // distinct update times
	}
	names := func(q string) []string {
		var out []string
		for _, d := range decode[[]actionDoc](t, mustCall(t, s, 200, "GET", "/namespaces/_/actions"+q, nil)) {
			out = append(out, d.Name)
		}
		return out
	}
	tests := []struct {
		query       string
		count       int
		first, last string
	}{
		{"", 30, "a34", "a05"},
		{"?limit=3&skip=2", 3, "a32", "a30"},
		{"?limit=0", n, "a34", "a00"},
		{"?limit=200&skip=33", 2, "a01", "a00"},
		{"?skip=40", 0, "", ""},
	}
	for _, tt := range tests {
		got := names(tt.query)
		if len(got) != tt.count || (tt.count > 0 && (got[0] != tt.first || got[len(got)-1] != tt.last)) {
			t.Errorf("list%s = %d actions %v, want %d from %s to %s", tt.query, len(got), got, tt.count, tt.first, tt.last)
		}
	}
	if b := mustCall(t, s, 200, "GET", "/namespaces/_/actions?count=true", nil); string(b) != `{"actions":35}` {
		t.Errorf("count: %s", b)
	}
}

// TestListParamsRefused checks a controller's refusals of bad listing
// parameters, on every collection.
func TestListParamsRefused(t *testing.T) {
	s := newServer(t, nil)
	tests := []struct{ query, msg string }{
		{"limit=201", "The query parameter 'limit' was malformed:\nThe value '201' is not in the range of 0 to 200 for %s."},
		{"limit=-1", "The query parameter 'limit' was malformed:\nThe value '-1' is not in the range of 0 to 200 for %s."},
		{"limit=x", "The query parameter 'limit' was malformed:\nThe value 'x' is not an integer for %s."},
		{"skip=-1", "The query parameter 'skip' was malformed:\nThe value '-1' is not greater than or equal to 0 for %s."},
		{"skip=1.5", "The query parameter 'skip' was malformed:\nThe value '1.5' is not an integer for %s."},
	}
	for _, c := range []string{"actions", "activations", "packages", "triggers", "rules"} {
		for _, tt := range tests {
			b := mustCall(t, s, 400, "GET", "/namespaces/_/"+c+"?"+tt.query, nil)
			if e := decode[errorBody](t, b); e.Error != fmt.Sprintf(tt.msg, c) {
				t.Errorf("%s?%s: %q, want %q", c, tt.query, e.Error, fmt.Sprintf(tt.msg, c))
			}
		}
	}
}

// TestUnimplementedCollections checks packages, triggers and rules: empty
// listings (so that listing everything works), 501 on create or update
// saying the sim does not implement them, 404 for any one of them.
func TestUnimplementedCollections(t *testing.T) {
	s := newServer(t, nil)
	for _, c := range []string{"packages", "triggers", "rules"} {
		t.Run(c, func(t *testing.T) {
			for _, q := range []string{"", "?limit=0&skip=5", "?public=true"} {
				if b := mustCall(t, s, 200, "GET", "/namespaces/guest/"+c+q, nil); string(b) != "[]" {
					t.Errorf("list%s: %s", q, b)
				}
			}
			if b := mustCall(t, s, 200, "GET", "/namespaces/_/"+c+"?count=true", nil); string(b) != `{"`+c+`":0}` {
				t.Errorf("count: %s", b)
			}
			for _, q := range []string{"", "?overwrite=true"} {
				b := mustCall(t, s, 501, "PUT", "/namespaces/_/"+c+"/x"+q, map[string]any{})
				if e := decode[errorBody](t, b); e.Error != msgUnimplemented(c) || strings.Contains(e.Error, "does not exist") {
					t.Errorf("put%s: %s", q, b)
				}
			}
			for _, method := range []string{"GET", "DELETE", "POST"} {
				b := mustCall(t, s, 404, method, "/namespaces/_/"+c+"/x", map[string]any{})
				if e := decode[errorBody](t, b); e.Error != msgNotFound {
					t.Errorf("%s one: %s", method, b)
				}
			}
			mustCall(t, s, 403, "GET", "/namespaces/other/"+c, nil)
			mustCall(t, s, 403, "PUT", "/namespaces/other/"+c+"/x", map[string]any{})
		})
	}
}

// TestActionInMissingPackage checks that an action cannot be created in a
// package that does not exist (the sim holds none), as on a controller.
func TestActionInMissingPackage(t *testing.T) {
	s := newServer(t, nil)
	b := mustCall(t, s, 404, "PUT", "/namespaces/_/actions/pkg/act", map[string]any{
		"exec": map[string]any{"kind": "go:1.24", "code": dummyZip(t)}})
	if e := decode[errorBody](t, b); e.Error != msgNotFound {
		t.Errorf("put in a missing package: %s", b)
	}
	if b := mustCall(t, s, 200, "GET", "/namespaces/_/actions", nil); string(b) != "[]" {
		t.Errorf("the action was created: %s", b)
	}
}

// TestExecAnnotation checks that actions carry their kind as the "exec"
// annotation, as a controller adds it, through updates.
func TestExecAnnotation(t *testing.T) {
	s := newServer(t, nil)
	code := dummyZip(t)
	exec := func(list bool) string {
		var a json.RawMessage
		if list {
			a = decode[[]actionDoc](t, mustCall(t, s, 200, "GET", "/namespaces/_/actions", nil))[0].Annotations
		} else {
			a = decode[actionDoc](t, mustCall(t, s, 200, "GET", "/namespaces/_/actions/x", nil)).Annotations
		}
		var kind string
		json.Unmarshal((&action{annotations: a}).annotation("exec"), &kind)
		return kind
	}
	put := func(body map[string]any) {
		mustCall(t, s, 200, "PUT", "/namespaces/_/actions/x?overwrite=true", body)
	}
	put(map[string]any{"exec": map[string]any{"kind": "go:1.24", "code": code},
		"annotations": []map[string]any{{"key": "exec", "value": "nodejs:20"}, {"key": "a", "value": 1}}})
	if got := exec(true); got != "go:1.24" {
		t.Errorf("after create, exec annotation %q in the listing", got)
	}
	put(map[string]any{"exec": map[string]any{"kind": "go:1.23", "code": zipCode(t,
		zipEntry{name: "exec", data: "x"}, zipEntry{name: "exec.env", data: "openwhisk/action-golang-v1.23", mode: 0o644})}})
	if got := exec(false); got != "go:1.23" {
		t.Errorf("after a kind change, exec annotation %q", got)
	}
	put(map[string]any{"annotations": []map[string]any{{"key": "b", "value": 2}}})
	a := decode[actionDoc](t, mustCall(t, s, 200, "GET", "/namespaces/_/actions/x", nil)).Annotations
	if string(a) != `[{"key":"b","value":2},{"key":"exec","value":"go:1.23"}]` {
		t.Errorf("after an update of annotations only: %s", a)
	}
}

// TestGetActionCode checks the contract on ?code: the uploaded zip comes
// back in exec.code, base64 as uploaded, unless code=false.
func TestGetActionCode(t *testing.T) {
	s := newServer(t, nil)
	code := dummyZip(t)
	putAction(t, s, "c", code, nil)
	for _, tt := range []struct {
		query string
		want  string
	}{{"", code}, {"?code=true", code}, {"?code=false", ""}} {
		b := mustCall(t, s, 200, "GET", "/namespaces/_/actions/c"+tt.query, nil)
		var doc struct {
			Exec map[string]any `json:"exec"`
		}
		json.Unmarshal(b, &doc)
		got, has := doc.Exec["code"]
		if (tt.want == "") == has || (has && got != tt.want) || doc.Exec["binary"] != true {
			t.Errorf("GET%s: exec %.200v", tt.query, doc.Exec)
		}
	}
}
