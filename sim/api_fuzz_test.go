package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fuzzServer starts a Server for a fuzz target; the target drives its
// handler directly, without sockets.
func fuzzServer(f *testing.F, o *Options) *Server {
	s, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}

// serve sends one request with the server's credentials to its handler.
// chunked hides the body's length, as a streaming client does. ok is false
// when target is no URL at all.
func serve(s *Server, method, target string, body []byte, chunked bool) (rec *httptest.ResponseRecorder, ok bool) {
	req, err := http.NewRequest(method, "http://sim"+target, bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	if chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.Auth())))
	rec = httptest.NewRecorder()
	s.srv.Handler.ServeHTTP(rec, req)
	return rec, true
}

// checkAnswer fails t when the answer is a 5xx other than allowed, or a
// non-redirect whose body is not JSON.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	code := rec.Code
	if code >= 500 {
		for _, a := range allowed {
			if code == a {
				goto body
			}
		}
		t.Fatalf("%s: HTTP %d for bad input: %s", what, code, rec.Body.Bytes())
	}
body:
	if (code < 300 || code >= 400) && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s: HTTP %d with a body that is not JSON: %q", what, code, rec.Body.Bytes())
	}
}

// FuzzPutAction sends arbitrary action names, query strings and PUT bodies
// (with or without a length) to a process-mode server, which unpacks the
// zip. It checks that no bad input gets a 5xx or panics, that an accepted
// action reads back and holds a zip with an exec, that a body over the
// bound is refused with 413, and that everything unpacked stays inside the
// server's directory as plain files and folders.
func FuzzPutAction(f *testing.F) {
	s := fuzzServer(f, &Options{Mode: ModeProcess})
	good := dummyZip(f)
	evil := zipCode(f, zipEntry{name: "exec", data: "x"}, zipEntry{name: "a/../../evil", data: "x"})
	link := zipCode(f, zipEntry{name: "exec", data: "/etc/passwd", mode: 0o777 | fs.ModeSymlink})
	body := func(code string, extra string) []byte {
		return []byte(`{"exec":{"kind":"go:1.24","code":"` + code + `"}` + extra + `}`)
	}
	f.Add("echo", "overwrite=true", body(good, `,"limits":{"timeout":100,"memory":128},"annotations":[{"key":"a","value":1}],"parameters":[{"key":"p","value":"v"}]`), false)
	f.Add("pkg/echo", "", body(good, `,"publish":true`), true)
	f.Add("echo", "overwrite=true", body(evil, ""), false)
	f.Add("echo", "overwrite=true", body(link, ""), false)
	f.Add("echo", "", body("UEsDBAo=", ""), false)
	f.Add("echo", "", body(good, `,"limits":{"timeout":-1}`), false)
	f.Add("echo", "", body(good, `,"annotations":{"not":"a list"}`), false)
	f.Add("bad name!", "", []byte(`{}`), false)
	f.Add("..%2f..", "", []byte(`{"exec":null}`), true)
	f.Add("echo", "overwrite=true", []byte(`{"exec":{"kind":"","code":""}}`), false)
	f.Add("echo", "", []byte(`not json`), true)
	f.Fuzz(func(t *testing.T, name, query string, body []byte, chunked bool) {
		path := "/api/v1/namespaces/_/actions/" + name
		rec, ok := serve(s, "PUT", path+"?"+query, body, chunked)
		if !ok {
			return
		}
		checkAnswer(t, "PUT "+path, rec)
		if len(body) > maxActionBody && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("PUT of %d bytes: HTTP %d, want 413", len(body), rec.Code)
		}
		checkUnpacked(t, s.tmp)
		if rec.Code != http.StatusOK {
			return
		}
		u, _ := url.Parse("http://sim" + path)
		name = strings.TrimPrefix(u.Path, "/api/v1/namespaces/_/actions/")
		a := s.lookup(name)
		if a == nil {
			t.Fatalf("PUT %s answered 200 (%s) but no action %q is stored", path, rec.Body.Bytes(), name)
		}
		if _, err := decodeZip(a.code); err != nil {
			t.Fatalf("PUT %s stored code that is no good zip: %v", path, err)
		}
		if get, _ := serve(s, "GET", "/api/v1/namespaces/_/actions/"+url.PathEscape(name)+"?code=false", nil, false); get == nil || get.Code != http.StatusOK {
			t.Fatalf("GET of the action just stored: %v", get)
		}
		if del, _ := serve(s, "DELETE", "/api/v1/namespaces/_/actions/"+url.PathEscape(name), nil, false); del == nil || del.Code != http.StatusOK {
			t.Fatalf("DELETE of the action just stored: %v", del)
		}
	})
}

// checkUnpacked fails t when dir holds anything but plain files and
// folders (a link planted by a zip, say).
func checkUnpacked(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !d.Type().IsRegular() {
			t.Fatalf("unpacked %s is a %v", p, d.Type())
		}
		return nil
	})
}

var activationIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// FuzzInvoke sends arbitrary query strings and parameter bodies to an
// action, bound parameters or not. It checks that a body over the payload
// limit gets 413, that one that is no JSON object gets 400 and any other
// is accepted, that the only 5xx is a 502 carrying the failed activation,
// and that an accepted invoke answers the activation id in its body and
// header.
func FuzzInvoke(f *testing.F) {
	const limit = 4096
	s := fuzzServer(f, &Options{PayloadLimit: limit})
	putAction(f, s, "plain", dummyZip(f), map[string]int{"timeout": 100})
	bound := map[string]any{"exec": map[string]any{"kind": "go:1.24", "code": dummyZip(f)}, "limits": map[string]int{"timeout": 100},
		"parameters": []map[string]any{{"key": "task", "value": "selftest/echo"}, {"key": "input", "value": map[string]int{"n": 1}}}}
	mustCall(f, s, http.StatusOK, "PUT", "/namespaces/_/actions/bound?overwrite=true", bound)
	echo := string(echoRequest(f, `{"n":3}`))
	f.Add("", echo, false, false)
	f.Add("blocking=true", echo, false, true)
	f.Add("blocking=true&result=true", echo, true, false)
	f.Add("blocking=true&result=true", `{"task":"selftest/echo","input":{"fail":"no"}}`, false, false)
	f.Add("blocking=true", `{"task":"selftest/echo","input":{"panic":"p"}}`, false, true)
	f.Add("blocking=true", `{"task":"selftest/echo","input":{"sleep_ms":1000}}`, false, false)
	f.Add("blocking=true", `{"task":"nope"}`, false, false)
	f.Add("", "", true, true)
	f.Add("blocking=%zz", "[1,2]", false, false)
	f.Add("", `{"a":1}  `, true, false)
	f.Add("", `{"a":`, false, false)
	f.Add("", string(bytes.Repeat([]byte("x"), limit+1)), true, false)
	f.Fuzz(func(t *testing.T, query, body string, chunked, useBound bool) {
		name := "plain"
		if useBound {
			name = "bound"
		}
		rec, ok := serve(s, "POST", "/api/v1/namespaces/_/actions/"+name+"?"+query, []byte(body), chunked)
		if !ok {
			return
		}
		checkAnswer(t, "invoke", rec, http.StatusBadGateway)
		trimmed := bytes.TrimSpace([]byte(body))
		object := len(trimmed) == 0 || trimmed[0] == '{' && json.Valid(trimmed)
		switch {
		case len(body) > limit:
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("invoke with %d bytes over a %d limit: HTTP %d", len(body), limit, rec.Code)
			}
		case !object:
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("invoke with %q, no JSON object: HTTP %d, want 400", body, rec.Code)
			}
		case rec.Code == http.StatusBadGateway:
			var a activation
			if json.Unmarshal(rec.Body.Bytes(), &a) != nil {
				t.Fatalf("502 without a JSON body: %s", rec.Body.Bytes())
			}
		case rec.Code == http.StatusAccepted:
			var a activation
			json.Unmarshal(rec.Body.Bytes(), &a)
			if !activationIDRE.MatchString(a.ActivationID) || rec.Header().Get("X-Openwhisk-Activation-Id") != a.ActivationID {
				t.Fatalf("202 with body %s and header id %q", rec.Body.Bytes(), rec.Header().Get("X-Openwhisk-Activation-Id"))
			}
		case rec.Code != http.StatusOK && rec.Code != http.StatusTooManyRequests:
			t.Fatalf("invoke with a JSON object %q: HTTP %d %s", body, rec.Code, rec.Body.Bytes())
		}
	})
}

// FuzzListActivations sends arbitrary listing queries and activation ids.
// It checks that a listing answers 200 or 400, never more than its limit
// and never more than 200 records, that the parsed query is in range
// whenever it is accepted, and that lookups by id answer 200 or 404.
func FuzzListActivations(f *testing.F) {
	s := fuzzServer(f, nil)
	putAction(f, s, "echo", dummyZip(f), nil)
	var id string
	for i := 0; i < 3; i++ {
		b := mustCall(f, s, http.StatusOK, "POST", "/namespaces/_/actions/echo?blocking=true", echoRequest(f, `{"n":1}`))
		var a activation
		json.Unmarshal(b, &a)
		id = a.ActivationID
	}
	f.Add("", id, "result")
	f.Add("limit=1&skip=1&docs=true", id, "logs")
	f.Add("name=echo&since=0&upto=9999999999999", "x", "")
	f.Add("count=true&name=pkg/echo", "", "other")
	f.Add("limit=201&skip=-1", "%zz", "result")
	f.Add("since=-1&upto=abc", id+"/x", "")
	f.Add("limit=0&skip=99999999999999999999", "..", "logs")
	f.Fuzz(func(t *testing.T, query, id, part string) {
		rec, ok := serve(s, "GET", "/api/v1/namespaces/_/activations?"+query, nil, false)
		if !ok {
			return
		}
		checkAnswer(t, "list", rec)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("list ?%s: HTTP %d", query, rec.Code)
		}
		req, _ := http.NewRequest("GET", "http://sim/x?"+query, nil)
		q, err := parseQuery(req)
		if (err == nil) != (rec.Code == http.StatusOK) {
			t.Fatalf("list ?%s: HTTP %d but parseQuery says %v", query, rec.Code, err)
		}
		if err == nil {
			if q.limit < 1 || q.limit > maxListLimit || q.skip < 0 || q.since < 0 || q.upto < 0 {
				t.Fatalf("parseQuery(%q) = %+v, out of range", query, q)
			}
			var list []json.RawMessage
			if req.URL.Query().Get("count") != "true" {
				if json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list) > q.limit {
					t.Fatalf("list ?%s (limit %d): %s", query, q.limit, rec.Body.Bytes())
				}
			}
		}
		for _, p := range []string{"/" + id, "/" + id + "/" + part} {
			rec, ok := serve(s, "GET", "/api/v1/namespaces/_/activations"+p, nil, false)
			if !ok {
				continue
			}
			checkAnswer(t, "get activation", rec)
			if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound && (rec.Code < 300 || rec.Code >= 400) {
				t.Fatalf("GET activation %q: HTTP %d", p, rec.Code)
			}
		}
	})
}
