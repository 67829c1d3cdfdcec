package faasgw

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// OpenFaaS defaults: the gateway's upstream_timeout, the queue-worker's
// ack_wait and max_inflight, and NATS's max_payload.
const (
	DefaultUpstreamTimeout = 60 * time.Second
	DefaultAckWait         = 30 * time.Second
	DefaultMaxPayload      = 1 << 20
)

// OpenFaaSOptions configure an OpenFaaS gateway stand-in.
type OpenFaaSOptions struct {
	// Functions are the deployed functions by name; each gets one
	// replica, started at its first call.
	Functions map[string]Starter
	// User and Password, when set, protect the gateway's /system/ API with
	// basic auth, as the gateway's admin credentials do. As in OpenFaaS,
	// /function/ and /async-function/ stay open: a function checks its own
	// callers.
	User, Password string
	// UpstreamTimeout bounds a synchronous call; zero means 60 s.
	UpstreamTimeout time.Duration
	// QueueWorkers is how many asynchronous calls run at once (the
	// queue-worker's max_inflight); zero means 1.
	QueueWorkers int
	// AckWait bounds an asynchronous call; zero means 30 s.
	AckWait time.Duration
	// MaxPayload bounds the message an asynchronous call is queued as
	// (NATS's max_payload): the request JSON-encoded with its headers, the
	// body in base64, so a body of about 3/4 of it. Zero means 1 MiB;
	// over it the call is answered 500, as the gateway answers it.
	MaxPayload int64
	// DropCallback, when set, is asked before each callback is posted;
	// true loses it, as when the queue-worker dies after the function ran.
	// For tests of callers that must survive lost callbacks.
	DropCallback func(callID string) bool
}

// OpenFaaSStats counts what an OpenFaaS stand-in did.
type OpenFaaSStats struct {
	// Sync and Async are calls accepted on each route.
	Sync, Async int64
	// Callbacks is callbacks posted and answered 2xx, CallbackErrors those
	// that failed or were refused, Dropped those DropCallback lost.
	Callbacks, CallbackErrors, Dropped int64
}

// OpenFaaS is a stand-in for an OpenFaaS gateway with its queue-worker:
// POST /function/NAME[/PATH] calls the function and answers what it
// answers; POST /async-function/NAME[/PATH] answers 202 Accepted with an
// X-Call-Id, queues the call, and posts the function's answer to the
// request's X-Callback-Url. PATH, "/" when absent, is the path the
// function's server receives, as the watchdog forwards it.
type OpenFaaS struct {
	opts  OpenFaaSOptions
	tr    *http.Transport
	cb    *http.Client
	mux   *http.ServeMux
	fns   map[string]*function
	queue chan *asyncCall
	done  chan struct{}
	work  sync.WaitGroup

	syncCalls, asyncCalls, callbacks, callbackErrors, dropped atomic.Int64
}

// NewOpenFaaS returns a gateway with its queue-workers running.
func NewOpenFaaS(opts OpenFaaSOptions) (*OpenFaaS, error) {
	if len(opts.Functions) == 0 {
		return nil, errors.New("faasgw: openfaas: no functions")
	}
	if (opts.User == "") != (opts.Password == "") {
		return nil, errors.New("faasgw: openfaas: basic auth needs both a user and a password")
	}
	setDefaults(&opts)
	g := &OpenFaaS{opts: opts, tr: newTransport(), fns: map[string]*function{}, queue: make(chan *asyncCall, 1<<16), done: make(chan struct{})}
	// The queue-worker neither follows a callback's redirects nor retries it.
	g.cb = &http.Client{Timeout: 30 * time.Second, Transport: g.tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for name, s := range opts.Functions {
		g.fns[name] = &function{name: name, starter: s, tr: g.tr}
	}
	g.routes()
	for range opts.QueueWorkers {
		g.work.Add(1)
		go g.queueWorker()
	}
	return g, nil
}

func setDefaults(o *OpenFaaSOptions) {
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if o.QueueWorkers <= 0 {
		o.QueueWorkers = 1
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
}

func (g *OpenFaaS) routes() {
	g.mux = http.NewServeMux()
	g.mux.HandleFunc("/function/{name}", g.callID(g.syncCall))
	g.mux.HandleFunc("/function/{name}/{path...}", g.callID(g.syncCall))
	g.mux.HandleFunc("POST /async-function/{name}", g.callID(g.asyncCall))
	g.mux.HandleFunc("POST /async-function/{name}/{path...}", g.callID(g.asyncCall))
	g.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "OK") })
	g.mux.HandleFunc("GET /system/functions", g.basicAuth(g.listFunctions))
}

// ServeHTTP answers one request as the gateway would.
func (g *OpenFaaS) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

// callID tags a request with an X-Call-Id, when it has none, and an
// X-Start-Time, and sets both on the answer, as the gateway does.
func (g *OpenFaaS) callID(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := strconv.FormatInt(time.Now().UTC().UnixNano(), 10)
		if r.Header.Get("X-Call-Id") == "" {
			id := newCallID()
			r.Header.Set("X-Call-Id", id)
			w.Header().Set("X-Call-Id", id)
		}
		r.Header.Set("X-Start-Time", start)
		w.Header().Set("X-Start-Time", start)
		next(w, r)
	}
}

// newCallID returns a random UUID (version 4).
func newCallID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// basicAuth refuses requests without the gateway's admin credentials.
func (g *OpenFaaS) basicAuth(next http.HandlerFunc) http.HandlerFunc {
	if g.opts.User == "" {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		okUser := subtle.ConstantTimeCompare([]byte(u), []byte(g.opts.User))
		okPass := subtle.ConstantTimeCompare([]byte(p), []byte(g.opts.Password))
		if !ok || okUser&okPass != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Restricted"`)
			http.Error(w, "invalid credentials", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

// listFunctions answers GET /system/functions with the deployed functions.
func (g *OpenFaaS) listFunctions(w http.ResponseWriter, r *http.Request) {
	type status struct {
		Name     string `json:"name"`
		Replicas int    `json:"replicas"`
	}
	out := []status{}
	for name, fn := range g.fns {
		out = append(out, status{Name: name, Replicas: fn.replicas()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// syncCall calls the function and answers with its answer.
func (g *OpenFaaS) syncCall(w http.ResponseWriter, r *http.Request) {
	fn, ok := g.fns[r.PathValue("name")]
	if !ok {
		http.Error(w, "Cannot find service: "+r.PathValue("name"), http.StatusNotFound)
		return
	}
	g.syncCalls.Add(1)
	ctx, cancel := context.WithTimeout(r.Context(), g.opts.UpstreamTimeout)
	defer cancel()
	res, err := fn.call(ctx, r.Method, "/"+r.PathValue("path"), r.URL.RawQuery, r.Header, r.Body)
	if err != nil {
		code := http.StatusBadGateway
		if errors.Is(err, context.DeadlineExceeded) {
			code = http.StatusGatewayTimeout
		}
		http.Error(w, fmt.Sprintf("Can't reach service for: %s: %v", fn.name, err), code)
		return
	}
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// Stats returns what the gateway did so far.
func (g *OpenFaaS) Stats() OpenFaaSStats {
	return OpenFaaSStats{Sync: g.syncCalls.Load(), Async: g.asyncCalls.Load(), Callbacks: g.callbacks.Load(),
		CallbackErrors: g.callbackErrors.Load(), Dropped: g.dropped.Load()}
}

// Close stops the queue-workers, dropping queued calls, and every replica.
func (g *OpenFaaS) Close() error {
	close(g.done)
	g.work.Wait()
	defer g.tr.CloseIdleConnections()
	var errs []error
	for _, fn := range g.fns {
		errs = append(errs, fn.stop())
	}
	return errors.Join(errs...)
}
