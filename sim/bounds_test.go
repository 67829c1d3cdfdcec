package sim

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// flood is a request body of n bytes that are never all in memory.
type flood struct{ n int64 }

func (f *flood) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), f.n))
	for i := range p[:k] {
		p[i] = ' '
	}
	f.n -= int64(k)
	return k, nil
}

// TestOversizedRequestsAreBounded sends request bodies just over the bound
// and of 300 MB, with and without a declared length, to the calls that take
// a body. Each must get 413 with OpenWhisk's message, and what the server
// allocates must not grow with the body: 300 MB cost no more than a body
// just over the bound.
func TestOversizedRequestsAreBounded(t *testing.T) {
	const payload = 64 << 10
	s := newServer(t, &Options{PayloadLimit: payload})
	putAction(t, s, "echo", dummyZip(t), nil)
	tests := []struct {
		name, method, path string
		declared           bool
		limit              int
	}{
		{"put action streamed", "PUT", "/api/v1/namespaces/_/actions/big?overwrite=true", false, maxActionBody},
		{"put action with length", "PUT", "/api/v1/namespaces/_/actions/big?overwrite=true", true, maxActionBody},
		{"invoke streamed", "POST", "/api/v1/namespaces/_/actions/echo?blocking=true", false, payload},
		{"invoke with length", "POST", "/api/v1/namespaces/_/actions/echo", true, payload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			justOver := send(t, s, tt.method, tt.path, int64(tt.limit)+64<<10, tt.declared)
			huge := send(t, s, tt.method, tt.path, 300<<20, tt.declared)
			if huge > justOver+32<<20 {
				t.Errorf("a 300 MB body allocated %d MB, one just over the %d KB bound %d MB", huge>>20, tt.limit>>10, justOver>>20)
			}
		})
	}
}

// send sends a body of size bytes to the server's handler, checks that it
// is refused with 413, and returns the bytes allocated meanwhile.
func send(t *testing.T, s *Server, method, path string, size int64, declared bool) uint64 {
	t.Helper()
	req := httptest.NewRequest(method, path, &flood{n: size})
	req.ContentLength = -1
	if declared {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.Auth())))
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.srv.Handler.ServeHTTP(rec, req)
	runtime.ReadMemStats(&after)
	want := "Request larger than allowed"
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("%d bytes: HTTP %d %s; want 413 %q", size, rec.Code, rec.Body.String(), want)
	}
	return after.TotalAlloc - before.TotalAlloc
}
