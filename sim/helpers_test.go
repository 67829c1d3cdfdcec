package sim

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/worker"
)

var client = &http.Client{
	Timeout:   2 * time.Minute,
	Transport: &http.Transport{MaxIdleConnsPerHost: 10000, MaxConnsPerHost: 0},
}

// newServer starts a Server for one test.
func newServer(t testing.TB, o *Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// call sends one request with the server's auth and returns the status
// and body.
func call(t testing.TB, s *Server, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.APIHost()+"/api/v1"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.Auth())))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t testing.TB, s *Server, want int, method, path string, body any) []byte {
	t.Helper()
	code, b, _ := call(t, s, method, path, body)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, b)
	}
	return b
}

type zipEntry struct {
	name string
	data string
	mode os.FileMode
}

// zipCode returns a zip of entries as standard base64.
func zipCode(t testing.TB, entries ...zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		if e.mode == 0 {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// dummyZip is a zip good enough for inproc mode.
func dummyZip(t testing.TB) string {
	return zipCode(t, zipEntry{name: "exec", data: "#!/bin/false\n"}, zipEntry{name: "exec.env", data: "openwhisk/action-golang-v1.24", mode: 0o644})
}

// putAction creates or replaces an action with code and limits.
func putAction(t testing.TB, s *Server, name, code string, limits map[string]int) {
	t.Helper()
	body := map[string]any{
		"exec":        map[string]any{"kind": "go:1.24", "code": code},
		"annotations": []map[string]any{{"key": "overcast-code-sha256", "value": "abc"}},
	}
	if limits != nil {
		body["limits"] = limits
	}
	mustCall(t, s, http.StatusOK, "PUT", "/namespaces/_/actions/"+name+"?overwrite=true", body)
}

// echoRequest is an encoded worker.Request for selftest/echo.
func echoRequest(t testing.TB, input string) []byte {
	t.Helper()
	b, err := worker.EncodeRequest(&worker.Request{Task: "selftest/echo", Input: json.RawMessage(input), Index: 1, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// activation is the part of a record the tests read.
type activation struct {
	ActivationID string `json:"activationId"`
	Namespace    string `json:"namespace"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Subject      string `json:"subject"`
	Start        int64  `json:"start"`
	End          int64  `json:"end"`
	Duration     *int64 `json:"duration"`
	StatusCode   *int   `json:"statusCode"`
	Logs         []string
	Annotations  []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	} `json:"annotations"`
	Response *struct {
		Status  string          `json:"status"`
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	} `json:"response"`
}

func (a *activation) annotation(key string) string {
	for _, kv := range a.Annotations {
		if kv.Key == key {
			return string(kv.Value)
		}
	}
	return ""
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// waitActivation polls for an activation record, for up to 10 s.
func waitActivation(t testing.TB, s *Server, id string) *activation {
	t.Helper()
	for i := 0; i < 1000; i++ {
		code, b, _ := call(t, s, "GET", "/namespaces/_/activations/"+id, nil)
		if code == http.StatusOK {
			a := decode[activation](t, b)
			return &a
		}
		if code != http.StatusNotFound {
			t.Fatalf("get activation: %d %s", code, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("activation %s never appeared", id)
	return nil
}

var (
	loopOnce sync.Once
	loopZip  string
	loopErr  error
)

// loopCode returns the zip of testdata/loop, built once per test binary.
func loopCode(t testing.TB) string {
	t.Helper()
	loopOnce.Do(func() { loopZip, loopErr = buildZip(t, "./testdata/loop") })
	if loopErr != nil {
		t.Fatal(loopErr)
	}
	return loopZip
}

// buildZip builds the Go main package pkg as exec and zips it.
func buildZip(t testing.TB, pkg string) (string, error) {
	dir, err := os.MkdirTemp("", "sim-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "exec"), pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	b, err := os.ReadFile(filepath.Join(dir, "exec"))
	if err != nil {
		return "", err
	}
	return zipCode(t, zipEntry{name: "exec", data: string(b)}, zipEntry{name: "exec.env", data: "openwhisk/action-golang-v1.24", mode: 0o644}), nil
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }
