package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/s3test"
)

// faultProxy is a reverse proxy in front of an S3 server that fails the
// first tries of every request (by method, path, query and range) the way
// a busy S3 does: 503 SlowDown, 500 InternalError, a connection closed
// without an answer. Paths under /deny/ answer 403 AccessDenied instead.
type faultProxy struct {
	mu       sync.Mutex
	seen     map[string]int
	faults   int // tries of one request that fail
	injected int
	requests int
}

func (p *faultProxy) handler(target *url.URL) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests++
		id := r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("Range")
		try := p.seen[id]
		p.seen[id]++
		fail := try < p.faults && !strings.Contains(r.URL.Path, "/deny/")
		if fail {
			p.injected++
		}
		p.mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "/deny/"):
			s3Error(w, http.StatusForbidden, "AccessDenied")
		case !fail:
			rp.ServeHTTP(w, r)
		case try%3 == 0:
			s3Error(w, http.StatusServiceUnavailable, "SlowDown")
		case try%3 == 1:
			s3Error(w, http.StatusInternalServerError, "InternalError")
		default:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	})
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message></Error>`, code)
}

// startFaultProxy runs versitygw behind a faultProxy whose requests fail
// faults times each, and returns the proxy and a bucket URL through it.
// Open the bucket with fastRetries, Overcast's own backoff made short for
// the test.
func startFaultProxy(t *testing.T, faults int) (*faultProxy, string) {
	srv := s3test.Start(t)
	bucketURL := srv.Bucket(t)
	target, _ := url.Parse(srv.Endpoint)
	p := &faultProxy{seen: map[string]int{}, faults: faults}
	front := httptest.NewServer(p.handler(target))
	t.Cleanup(front.Close)
	return p, strings.Replace(bucketURL, url.QueryEscape(srv.Endpoint), url.QueryEscape(front.URL), 1)
}

// fastRetries are the options of a bucket behind a faultProxy.
var fastRetries = Options{Backoff: Backoff{Attempts: 10, Base: time.Millisecond, Max: 10 * time.Millisecond}}

// sdkAttempts is how many tries the S3 client makes of one request before
// it gives up (gocloud's standard retryer, the SDK's default of 3).
const sdkAttempts = 3

// TestOwnRequestsRetryTransientFailures runs every operation through a
// proxy that fails each request more often than the S3 client retries it.
func TestOwnRequestsRetryTransientFailures(t *testing.T) {
	p, u := startFaultProxy(t, sdkAttempts+2)
	ctx := context.Background()
	b, err := OpenWith(ctx, u, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := pattern(100000)
	if err := b.Put(ctx, "overcast/j/in/0", data); err != nil {
		t.Fatalf("put: %v", err)
	}
	if got, err := b.Get(ctx, "overcast/j/in/0"); err != nil || len(got) != len(data) {
		t.Fatalf("get: %d bytes, %v", len(got), err)
	}
	if got, err := b.GetRange(ctx, "overcast/j/in/0", 10, 20); err != nil || string(got) != string(data[10:30]) {
		t.Fatalf("get range: %v", err)
	}
	if objs, err := b.List(ctx, "overcast/j/"); err != nil || len(objs) != 1 {
		t.Fatalf("list: %v, %v", objs, err)
	}
	if n, err := b.RemoveAll(ctx, "overcast/j/"); err != nil || n != 1 {
		t.Fatalf("remove all: %d, %v", n, err)
	}
	if want := 5 * (sdkAttempts + 2); p.injected < want {
		t.Errorf("the proxy injected %d failures, want at least %d: %d for each of 5 operations", p.injected, want, sdkAttempts+2)
	}
}

// TestWithoutRetriesTheProxyFailsRequests shows that the proxy's failures
// do reach the caller when Overcast does not retry: the test above passes
// because of the retries.
func TestWithoutRetriesTheProxyFailsRequests(t *testing.T) {
	_, u := startFaultProxy(t, sdkAttempts)
	once := fastRetries
	once.Backoff.Attempts = 1
	ctx := context.Background()
	b, err := OpenWith(ctx, u, once)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Put(ctx, "k", []byte("v"))
	if err == nil || !Transient(ctx, errors.Unwrap(err)) {
		t.Fatalf("put through the failing proxy without retries: %v, want a transient error", err)
	}
}

// TestFinalErrorsAreNotRetried checks that a missing object and a denied
// permission fail at once: one request each.
func TestFinalErrorsAreNotRetried(t *testing.T) {
	p, u := startFaultProxy(t, 0)
	ctx := context.Background()
	b, err := OpenWith(ctx, u, fastRetries)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, key := range []string{"missing", "deny/k"} {
		before := p.requests
		_, err := b.Get(ctx, key)
		if err == nil || Transient(ctx, err) {
			t.Errorf("get %s: %v, want a final error", key, err)
		}
		if n := p.requests - before; n != 1 {
			t.Errorf("get %s: %d requests, want 1 (no retry)", key, n)
		}
	}
	before := p.requests
	if err := b.Remove(ctx, "deny/k"); err == nil || Transient(ctx, errors.Unwrap(err)) {
		t.Errorf("remove deny/k: %v, want a final error", err)
	}
	if n := p.requests - before; n != 1 {
		t.Errorf("remove deny/k: %d requests, want 1 (no retry)", n)
	}
}

func TestTransientRespectsTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := errors.New("read tcp: connection reset by peer")
	if Transient(ctx, err) {
		t.Error("an error after the context ended counts as transient")
	}
	if !Transient(context.Background(), err) {
		t.Error("a connection reset does not count as transient")
	}
}
