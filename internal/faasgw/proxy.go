package faasgw

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// newTransport returns a transport for a stand-in's requests to its
// instances, which all listen on 127.0.0.1.
func newTransport() *http.Transport {
	return &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
}

// replica is one instance with its queue-proxy in front.
type replica struct {
	*Instance
	br    *breaker
	proxy *httputil.ReverseProxy
}

func newReplica(in *Instance, cc int, tr http.RoundTripper) *replica {
	return &replica{Instance: in, br: newBreaker(cc), proxy: reverseProxy(in.URL, tr)}
}

// reverseProxy forwards requests, path unchanged, to base; a failed
// exchange is answered 502 as a gateway does.
func reverseProxy(base string, tr http.RoundTripper) *httputil.ReverseProxy {
	u, err := url.Parse(base)
	if err != nil {
		panic("faasgw: instance URL " + base + ": " + err.Error())
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = tr
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
	}
	return p
}

// withTimeout runs h with a request whose context ends after d. When h
// has not finished by then the answer is 504 Gateway Timeout and onTimeout
// runs; what h writes afterwards is dropped. h's answer is buffered, as
// http.TimeoutHandler buffers it. h runs in a goroutine counted in wg.
func withTimeout(w http.ResponseWriter, r *http.Request, d time.Duration, wg *sync.WaitGroup, h http.HandlerFunc, onTimeout func()) {
	ctx, cancel := context.WithTimeout(r.Context(), d)
	defer cancel()
	bw := &bufferedWriter{header: http.Header{}}
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		h(bw, r.WithContext(ctx))
	}()
	select {
	case <-done:
		bw.copyTo(w)
	case <-ctx.Done():
		bw.abandon()
		if r.Context().Err() != nil {
			return // the client went away
		}
		onTimeout()
		http.Error(w, "request timeout", http.StatusGatewayTimeout)
	}
}

// bufferedWriter is an http.ResponseWriter that keeps the answer until
// copyTo writes it out, and drops writes once abandoned.
type bufferedWriter struct {
	mu        sync.Mutex
	header    http.Header
	code      int
	body      bytes.Buffer
	abandoned bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.abandoned {
		return 0, http.ErrHandlerTimeout
	}
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) abandon() {
	b.mu.Lock()
	b.abandoned = true
	b.mu.Unlock()
}

func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.code == 0 {
		b.code = http.StatusOK
	}
	w.WriteHeader(b.code)
	w.Write(b.body.Bytes())
}
