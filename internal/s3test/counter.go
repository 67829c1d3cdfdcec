package s3test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Counts are the S3 requests and bytes that went through a Counter.
type Counts struct {
	// Gets read an object or a range of one, Heads an object's
	// attributes, Lists a bucket's keys; Puts write an object or a part
	// of a multipart upload (and start or finish one); Deletes remove
	// objects (one request may remove many).
	Gets, Heads, Lists, Puts, Deletes int64
	// Sent is the bytes of request bodies, Received those of response
	// bodies.
	Sent, Received int64
}

// Requests is the number of requests of every kind.
func (c Counts) Requests() int64 { return c.Gets + c.Heads + c.Lists + c.Puts + c.Deletes }

// Bytes is the bytes moved both ways.
func (c Counts) Bytes() int64 { return c.Sent + c.Received }

// Counter is a reverse proxy on 127.0.0.1 in front of a Server that
// counts what goes through it: a client that reaches the server through
// it is measured on the wire, whatever its code thinks it asked for.
type Counter struct {
	// Endpoint is the proxy's base URL, http://127.0.0.1:PORT.
	Endpoint string
	server   *Server
	mu       sync.Mutex
	counts   Counts
}

// Counter starts a counting proxy in front of the server, stopped at the
// test's cleanup. Requests keep the Host header the client signed.
func (s *Server) Counter(tb testing.TB) *Counter {
	tb.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	c := &Counter{server: s}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &countingTransport{c: c, next: transport}
	front := httptest.NewServer(proxy)
	tb.Cleanup(func() {
		front.Close()
		transport.CloseIdleConnections()
	})
	c.Endpoint = front.URL
	return c
}

// Bucket makes a new empty bucket on the server and returns its s3://
// URL through the proxy.
func (c *Counter) Bucket(tb testing.TB) string {
	tb.Helper()
	u, err := url.Parse(c.server.Bucket(tb))
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	return BucketURL(u.Host, c.Endpoint)
}

// Take returns the counts since the last Take and starts again from zero.
func (c *Counter) Take() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.counts
	c.counts = Counts{}
	return n
}

func (c *Counter) add(f func(*Counts)) {
	c.mu.Lock()
	f(&c.counts)
	c.mu.Unlock()
}

// countingTransport counts each request by kind and the bytes of its
// body and its answer's body as they are read.
type countingTransport struct {
	c    *Counter
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.c.add(func(n *Counts) { *n.of(req)++ })
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &countingBody{ReadCloser: req.Body, c: t.c, sent: true}
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, c: t.c}
	return resp, nil
}

// of returns the count a request adds to, from its method and the S3
// API's paths: /bucket is the bucket, /bucket/key an object.
func (c *Counts) of(req *http.Request) *int64 {
	object := strings.Contains(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case req.Method == http.MethodDelete || (req.Method == http.MethodPost && req.URL.Query().Has("delete")):
		return &c.Deletes
	case req.Method == http.MethodHead:
		return &c.Heads
	case req.Method == http.MethodGet && object:
		return &c.Gets
	case req.Method == http.MethodGet:
		return &c.Lists
	}
	return &c.Puts
}

// countingBody adds the bytes read through it to the counter.
type countingBody struct {
	io.ReadCloser
	c    *Counter
	sent bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.c.add(func(c *Counts) {
			if b.sent {
				c.Sent += int64(n)
			} else {
				c.Received += int64(n)
			}
		})
	}
	return n, err
}

// Add adds o's counts to c.
func (c *Counts) Add(o Counts) {
	c.Gets += o.Gets
	c.Heads += o.Heads
	c.Lists += o.Lists
	c.Puts += o.Puts
	c.Deletes += o.Deletes
	c.Sent += o.Sent
	c.Received += o.Received
}
