package worker

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The HTTP worker's defaults and fixed timeouts.
const (
	// MaxHTTPBody is the default bound of a request body: the largest
	// envelope the actionloop carries too. A larger input travels through
	// storage (Request.InputKey), so the bound only stops runaway bodies.
	MaxHTTPBody = MaxActionLoopLine
	// DefaultTaskTimeout bounds one task when the envelope sets no
	// earlier deadline: Cloud Run's longest request (60 minutes), longer
	// than Knative's (10 minutes) and Azure's default (5 minutes).
	DefaultTaskTimeout = 60 * time.Minute
	// DefaultGrace is how long a SIGTERM'd worker lets its in-flight tasks
	// finish: under Kubernetes' default terminationGracePeriodSeconds (30).
	DefaultGrace = 25 * time.Second

	// headerTimeout bounds reading a request's headers (slow clients).
	headerTimeout = 10 * time.Second
	// bodyTimeout bounds reading a request's body once its headers are in:
	// 64 MiB at 1 MB/s.
	bodyTimeout = 2 * time.Minute
	// answerTimeout bounds writing the answer once the task is done.
	answerTimeout = time.Minute
	// idleTimeout closes an idle keep-alive connection. It is longer than
	// the idle timeouts of the proxies in front of a worker (Knative's
	// queue-proxy, Google's front ends at 600 s), so that the worker is never
	// the side that closes a connection the proxy is about to reuse.
	idleTimeout = 620 * time.Second
	// cutShort is how long tasks cancelled at the end of the grace period
	// get to write their answers before the connections close.
	cutShort = 2 * time.Second
)

// HTTPOptions configures an HTTPServer. A zero field takes its default.
type HTTPOptions struct {
	// Token is the credential every task request must carry, as
	// "Authorization: Bearer TOKEN" or as "X-Overcast-Token: TOKEN" (for
	// platforms whose own authentication takes the Authorization header:
	// Cloud Run's IAM puts a Google ID token there). Empty means no
	// authentication, which NewHTTPServer accepts only with Insecure.
	Token string
	// Insecure serves task requests without a credential.
	Insecure bool
	// Concurrency is how many tasks run at once; a request above it is
	// answered 429 with Retry-After. Default: GOMAXPROCS, one per core.
	Concurrency int
	// MaxBody bounds a request body in bytes (413 above). Default MaxHTTPBody.
	MaxBody int64
	// TaskTimeout bounds a task that sets no earlier deadline. Default
	// DefaultTaskTimeout.
	TaskTimeout time.Duration
	// Grace is how long Serve lets in-flight tasks finish once its context
	// is done. Default DefaultGrace.
	Grace time.Duration
	// Logs receives the server's own lines (start, drain, errors). Default
	// io.Discard.
	Logs io.Writer
}

// HTTPServer serves tasks over HTTP: POST /invoke (and POST /api/invoke,
// the path Azure Functions forwards for a function named "invoke") takes
// an encoded Request and answers the encoded Response with status 200,
// whatever the task did; GET /healthz answers 200 while the server takes
// tasks and 503 once it drains. Other answers: 401 without a valid
// credential (nothing runs), 429 above Concurrency and 503 while draining
// (both with Retry-After), 413 for a body over MaxBody.
//
// Timeouts: the headers must arrive within 10 s and the body within 2 min
// of them; the task then runs under TaskTimeout (and the envelope's own
// deadline), and the answer must be written within a minute of the task's
// end. These deadlines are set per request (http.ResponseController),
// not as http.Server's ReadTimeout and WriteTimeout: a WriteTimeout runs
// from the end of the request's headers, so it would cut the answer of
// every task longer than it (the client sees the connection close), and
// per-request deadlines also hold under a server that is not Serve's,
// such as the Functions Framework's, which sets none.
type HTTPServer struct {
	tokenHash   [sha256.Size]byte
	insecure    bool
	maxBody     int64
	taskTimeout time.Duration
	grace       time.Duration
	logs        io.Writer
	mux         *http.ServeMux

	refused atomic.Int64 // requests refused for their credential

	mu       sync.Mutex
	limit    int
	running  int
	draining bool
	idle     chan struct{} // closed once draining with nothing running
}

// ErrNoToken is NewHTTPServer's error for options with neither a Token nor
// Insecure.
var ErrNoToken = errors.New("no token: set OVERCAST_TOKEN or --token-file, or pass --insecure-no-auth to serve tasks to anyone who can reach the address")

// NewHTTPServer returns a server with opts, or ErrNoToken.
func NewHTTPServer(opts HTTPOptions) (*HTTPServer, error) {
	if opts.Token == "" && !opts.Insecure {
		return nil, ErrNoToken
	}
	s := &HTTPServer{
		tokenHash:   sha256.Sum256([]byte(opts.Token)),
		insecure:    opts.Insecure && opts.Token == "",
		limit:       orDefault(opts.Concurrency, runtime.GOMAXPROCS(0)),
		maxBody:     orDefault(opts.MaxBody, MaxHTTPBody),
		taskTimeout: orDefault(opts.TaskTimeout, DefaultTaskTimeout),
		grace:       orDefault(opts.Grace, DefaultGrace),
		logs:        opts.Logs,
		idle:        make(chan struct{}),
	}
	if s.logs == nil {
		s.logs = io.Discard
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /invoke", s.invoke)
	s.mux.HandleFunc("POST /api/invoke", s.invoke)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	return s, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ServeHTTP routes one request.
func (s *HTTPServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx is done, then drains: new task
// requests get 503, tasks in flight finish and answer, and Serve returns
// nil once none is left, or an error when the grace period ended first
// (the remaining tasks are cancelled and get cutShort to answer). Tasks
// run under a context that ctx's end does not cancel. Serve closes ln.
func (s *HTTPServer) Serve(ctx context.Context, ln net.Listener) error {
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	// HTTP/2 without TLS (h2c), for platforms that speak it to the
	// container: Cloud Run's end-to-end HTTP/2 lifts its 32 MiB bound on
	// requests, Knative's by naming the port h2c.
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           s,
		Protocols:         protocols,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return taskCtx },
		ErrorLog:          log.New(s.logs, "overcast worker: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	err := s.drain(srv, cancelTasks)
	<-served
	return err
}

// drain stops taking tasks, waits for the running ones within the grace
// period, and closes the server.
func (s *HTTPServer) drain(srv *http.Server, cancelTasks context.CancelFunc) error {
	n := s.startDraining()
	srv.SetKeepAlivesEnabled(false)
	fmt.Fprintf(s.logs, "overcast worker: draining: %d tasks in flight, %v grace\n", n, s.grace)
	var err error
	grace := time.NewTimer(s.grace)
	defer grace.Stop()
	select {
	case <-s.idle:
	case <-grace.C:
		err = fmt.Errorf("grace period of %v over: %d tasks cut short", s.grace, s.inFlight())
		cancelTasks()
		short := time.NewTimer(cutShort)
		defer short.Stop()
		select {
		case <-s.idle:
		case <-short.C:
		}
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), cutShort)
	defer cancel()
	if srv.Shutdown(closeCtx) != nil {
		srv.Close()
	}
	return err
}

func (s *HTTPServer) inFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// startDraining refuses new tasks from now on and returns how many run.
func (s *HTTPServer) startDraining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.draining {
		s.draining = true
		if s.running == 0 {
			close(s.idle)
		}
	}
	return s.running
}

// admission is acquire's verdict.
type admission int

const (
	admitted admission = iota
	refusedFull
	refusedDraining
)

// acquire takes a task slot when one is free and the server not draining.
func (s *HTTPServer) acquire() admission {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.draining:
		return refusedDraining
	case s.running >= s.limit:
		return refusedFull
	}
	s.running++
	return admitted
}

// release gives a task slot back.
func (s *HTTPServer) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	if s.draining && s.running == 0 {
		close(s.idle)
	}
}

// HTTPDetect reports whether an HTTP platform started this process as its
// container: no arguments, PORT (Knative, Cloud Run, OpenFaaS) or
// FUNCTIONS_CUSTOMHANDLER_PORT (an Azure Functions custom handler) set in
// environ ("KEY=value" strings), and neither Lambda's nor OpenWhisk's
// variables, whose modes come first.
func HTTPDetect(args, environ []string) bool {
	if len(args) != 0 || LambdaDetect(args, environ) || hasOWVariable(environ) {
		return false
	}
	return HTTPPort(environ) != ""
}

// HTTPPort returns the port an HTTP platform asks the worker to listen on:
// FUNCTIONS_CUSTOMHANDLER_PORT when set, else PORT, else "".
func HTTPPort(environ []string) string {
	var port string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "FUNCTIONS_CUSTOMHANDLER_PORT="); ok && v != "" {
			return v
		}
		if v, ok := strings.CutPrefix(kv, "PORT="); ok && v != "" {
			port = v
		}
	}
	return port
}
