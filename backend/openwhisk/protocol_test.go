package openwhisk

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/overcast-sc/overcast/backend/driver"
)

// nonsenseServer answers every request with status and body, and counts
// the requests.
func nonsenseServer(t *testing.T, status int, contentType, body string) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func openOn(apihost string, t *testing.T) (*Driver, error) {
	env := map[string]string{"WHISK_APIHOST": apihost, "WHISK_AUTH": fakeAuth, "HOME": t.TempDir()}
	return Open(context.Background(), &Options{Getenv: func(k string) string { return env[k] }})
}

// TestServerAnsweringNonsenseFailsFast points the driver at servers that
// are not OpenWhisk: each fails at its first answer, with an error that is
// not retryable and says to check the API host.
func TestServerAnsweringNonsenseFailsFast(t *testing.T) {
	t.Run("html", func(t *testing.T) {
		url, n := nonsenseServer(t, 200, "text/html", "<html><body>It works!</body></html>")
		_, err := openOn(url, t)
		if err == nil || !strings.Contains(err.Error(), "check the API host") || n.Load() != 1 {
			t.Fatalf("Open = %v after %d requests; want a protocol error at the first", err, n.Load())
		}
	})
	t.Run("empty objects", func(t *testing.T) {
		url, n := nonsenseServer(t, 200, "application/json", "{}")
		d, err := openOn(url, t)
		if err != nil {
			t.Fatal(err) // {} is a valid, if empty, limits document
		}
		defer d.Close()
		d.buildArchive = func(ctx context.Context, k *kind) ([]byte, string, error) { return []byte("zip"), "", nil }
		var pe *ProtocolError
		if _, err := d.Deploy(context.Background()); !errors.As(err, &pe) || !strings.Contains(err.Error(), "create action overcast") {
			t.Fatalf("Deploy on a server answering {} = %v; want a protocol error", err)
		}
		before := n.Load()
		_, err = d.Invoke(context.Background(), &driver.Invocation{Payload: echoPayload(t, 1)})
		if !errors.As(err, &pe) || d.ErrorCode(err) != driver.Unknown || n.Load() != before+1 {
			t.Fatalf("Invoke = %v (code %v) after %d requests; want one request and a protocol error, not retryable", err, d.ErrorCode(err), n.Load()-before)
		}
		if strings.Contains(err.Error(), fakeAuth) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q: want one line without the credentials", err)
		}
	})
}
