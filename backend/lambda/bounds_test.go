package lambda

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/driver"
)

// TestOversizedAnswersAreBounded has the API stream 100 MB as the answer
// to an invocation and checks that the driver stops reading near Lambda's
// payload limit and fails with an error that names it.
func TestOversizedAnswersAreBounded(t *testing.T) {
	const flood = 100 << 20
	tests := []struct {
		name   string
		status int
		header map[string]string
		code   driver.ErrorCode
	}{
		{"result", 200, nil, driver.TaskFailed},
		{"function error", 200, map[string]string{"X-Amz-Function-Error": "Unhandled"}, driver.TaskFailed},
		{"refusal", 400, map[string]string{"X-Amzn-ErrorType": "InvalidRequestContentException"}, driver.TaskFailed},
		{"emulator 502", 502, nil, driver.TaskFailed},
	}
	// One JSON string that never ends: a decoder reads on to the end.
	chunk := []byte(strings.Repeat("x", 64<<10))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"output":"`))
				for sent < flood {
					n, err := w.Write(chunk)
					sent += n
					if err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			d := openDeployer(t, srv.URL, "")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := d.Invoke(context.Background(), &driver.Invocation{Task: "t", Payload: []byte(`{"task":"t"}`)})
			runtime.ReadMemStats(&after)
			// Past the bound, the error names the limit. (The SDK's transport
			// sometimes drops such a connection first: then any error does.)
			if err == nil {
				t.Fatalf("Invoke of a 100 MB answer succeeded")
			}
			if errors.Is(err, errAnswerTooLarge) {
				if !strings.Contains(err.Error(), "6 MB") || errorCode(err) != driver.TaskFailed {
					t.Errorf("err = %v (code %v), want TaskFailed naming the 6 MB limit", err, errorCode(err))
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 8*maxPayload { // reading all 100 MB allocates several times that
				t.Errorf("allocated %d MB reading the answer; the bound is %d MB", got>>20, maxPayload>>20)
			}
		})
	}
}
