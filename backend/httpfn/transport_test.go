package httpfn_test

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/overcast-sc/overcast"
)

// TestHTTP2OverTLS runs a job on a worker behind TLS that offers HTTP/2,
// trusting its certificate through ca=: every request arrives over
// HTTP/2.
func TestHTTP2OverTLS(t *testing.T) {
	var (
		mu     sync.Mutex
		protos = map[string]int{}
	)
	s := &standIn{before: func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
		return false
	}}
	srv := httptest.NewUnstartedServer(s)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	b := open(t, []string{srv.URL}, "&concurrency=8&ca="+ca)
	echo(t, executor(b, nil), numbered(50))
	mu.Lock()
	defer mu.Unlock()
	if protos["HTTP/2.0"] != 50 || len(protos) != 1 {
		t.Errorf("requests by protocol %v, want 50 over HTTP/2.0", protos)
	}
}

// TestUntrustedCertificate checks that a worker whose certificate is not
// trusted fails the job at once with a line that says so.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(&standIn{})
	defer srv.Close()
	srv.Config.ErrorLog = discardLog()
	b := open(t, []string{srv.URL}, "")
	_, err := runEcho(executor(b, &overcast.Options{MaxAttempts: 3}), numbered(2))
	if err == nil || !strings.Contains(err.Error(), "is not trusted; give its CA with --ca-file") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v; want the certificate named untrusted", err)
	}
}

// TestConnectionsAreKeptAlive runs many short tasks, four at a time, and
// counts the connections the worker accepted: a handful, not one per
// task.
func TestConnectionsAreKeptAlive(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(&standIn{})
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	const tasks = 400
	b := open(t, []string{srv.URL}, "&concurrency=4")
	if b.Capacity() != 4 {
		t.Fatalf("capacity %d, want 4", b.Capacity())
	}
	echo(t, executor(b, nil), numbered(tasks))
	if n := conns.Load(); n > tasks/20 {
		t.Errorf("%d connections for %d tasks four at a time; want them kept alive", n, tasks)
	}
	t.Logf("%d connections for %d tasks", conns.Load(), tasks)
}

// TestCapacityIsPerEndpoint checks the default and set concurrency.
func TestCapacityIsPerEndpoint(t *testing.T) {
	eps := []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "https://example.invalid"}
	if b := open(t, eps, ""); b.Capacity() != 300 {
		t.Errorf("default capacity %d over 3 endpoints, want 300", b.Capacity())
	}
	if b := open(t, eps, "&concurrency=7"); b.Capacity() != 21 {
		t.Errorf("capacity %d with concurrency=7 over 3 endpoints, want 21", b.Capacity())
	}
}
