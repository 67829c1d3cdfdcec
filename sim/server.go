package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"
)

// Server is a running local OpenWhisk-compatible platform.
type Server struct {
	opts     Options
	ln       net.Listener
	srv      *http.Server
	authz    *authorizer
	ctx      context.Context // ends when the server closes
	cancel   context.CancelFunc
	tmp      string   // process mode: where action zips are unpacked
	owner    *os.File // the lock on tmp (see makeTemp)
	actions  sync.Map // name -> *action
	actionMu sync.Mutex
	store    *store
	rt       runtimes
	throttle *throttle
	bounds   actionBounds
	invokers *invokerPool
	faults   *faultGen
	ctrl     *controller
	stats    counters
	closed   sync.Once
}

// New starts a Server listening on opts.Addr. opts may be nil.
func New(opts *Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Auth == "" {
		o.Auth = newAuth()
	}
	s := &Server{opts: o, authz: newAuthorizer(o.Auth), store: newStore(o.MaxActivations),
		throttle: newThrottle(o.Concurrency, o.PerMinute), faults: newFaultGen(o.Faults, o.Seed),
		rt: runtimes{kinds: o.Kinds}, ctrl: newController(o.RequestRate),
		bounds: newActionBounds(o.MemoryMB, o.TimeoutMS), invokers: newInvokerPool(o.Invokers, o.UserMemoryMB)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if o.Mode != ModeInproc {
		if s.tmp, s.owner, err = makeTemp(); err != nil {
			return nil, err
		}
	}
	if s.ln, err = net.Listen("tcp", o.Addr); err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("sim: %w", err)
	}
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logf("sim: serve: %v", err)
		}
	}()
	o.Logf("sim: serving the OpenWhisk API on %s (mode %s, namespace %s)", s.APIHost(), o.Mode, o.Namespace)
	return s, nil
}

// APIHost returns the base address clients use, "http://127.0.0.1:PORT".
func (s *Server) APIHost() string { return "http://" + s.ln.Addr().String() }

// Auth returns the "uuid:key" pair the server accepts.
func (s *Server) Auth() string { return s.opts.Auth }

// Namespace returns the auth's namespace.
func (s *Server) Namespace() string { return s.opts.Namespace }

// Stats returns the counters so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Close stops the listener, ends running activations and kills every
// container process. It returns within a few seconds.
func (s *Server) Close() error {
	s.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.cancel()
		if e := s.srv.Shutdown(ctx); e != nil {
			s.srv.Close()
		}
		s.actions.Range(func(k, v any) bool {
			v.(*action).exec.close()
			return true
		})
		s.waitIdle(3 * time.Second)
		s.removeTemp()
	})
	return nil
}

func (s *Server) removeTemp() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
		s.owner.Close()
	}
}

// waitIdle waits up to d for the running activations to end.
func (s *Server) waitIdle(d time.Duration) {
	for end := time.Now().Add(d); s.stats.running.Load() > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}

// routes returns the API's handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const ns = "/api/v1/namespaces/{ns}"
	mux.HandleFunc("GET /{$}", s.hostInfo)
	mux.HandleFunc("GET /invokers", s.invokerHealth)
	mux.HandleFunc("GET /api/v1", s.apiInfo)
	mux.HandleFunc("GET /api/v1/{$}", s.apiInfo)
	mux.HandleFunc("GET /api/v1/namespaces", s.namespaces)
	mux.HandleFunc("GET "+ns+"/limits", s.limits)
	mux.HandleFunc("GET "+ns+"/actions", s.listActions)
	mux.HandleFunc("PUT "+ns+"/actions/{name...}", s.putAction)
	mux.HandleFunc("GET "+ns+"/actions/{name...}", s.getAction)
	mux.HandleFunc("DELETE "+ns+"/actions/{name...}", s.deleteAction)
	mux.HandleFunc("POST "+ns+"/actions/{name...}", s.invoke)
	mux.HandleFunc("GET "+ns+"/activations", s.listActivations)
	mux.HandleFunc("GET "+ns+"/activations/{id}", s.getActivation)
	mux.HandleFunc("GET "+ns+"/activations/{id}/{part}", s.getActivationPart)
	for _, c := range unimplemented {
		mux.HandleFunc("GET "+ns+"/"+c, s.listNone(c))
		mux.HandleFunc("PUT "+ns+"/"+c+"/{name...}", s.refuse(c))
		mux.HandleFunc(ns+"/"+c+"/{name...}", s.noneSuch)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, msgNotFound) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ctrl.admit(r.Context())
		apiLatency(r.Context(), s.opts.APILatency)
		if !public(r.URL.Path) && !s.authz.check(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// shortLatency is the longest API latency slept through even when the
// request ends meanwhile: a plain sleep needs no timer and no channel.
const shortLatency = 100 * time.Millisecond

// apiLatency sleeps the modelled API latency d, ending a long one early
// when ctx ends.
func apiLatency(ctx context.Context, d time.Duration) {
	switch {
	case d <= 0:
	case d <= shortLatency:
		time.Sleep(d)
	default:
		ctxtime.Sleep(ctx, d)
	}
}

// namespace checks the {ns} of r: "_" or the auth's own namespace.
func (s *Server) namespace(w http.ResponseWriter, r *http.Request) bool {
	ns := r.PathValue("ns")
	if ns == "_" || ns == s.opts.Namespace {
		return true
	}
	writeError(w, http.StatusForbidden, msgForbidden(ns))
	return false
}

func (s *Server) namespaces(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []string{s.opts.Namespace})
}

// unlimited stands for "no per-minute limit" in the limits document.
const unlimited = 1<<31 - 1

func (s *Server) limits(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	perMinute := s.opts.PerMinute
	if perMinute == 0 {
		perMinute = unlimited
	}
	mem, tmo := s.bounds.bound(memoryBound.name), s.bounds.bound(timeoutBound.name)
	writeJSON(w, http.StatusOK, map[string]any{
		"concurrentInvocations": s.opts.Concurrency,
		"invocationsPerMinute":  perMinute,
		"firesPerMinute":        perMinute,
		"maxParameterSize":      fmt.Sprintf("%d B", s.opts.PayloadLimit),
		"minActionMemory":       mem.min,
		"maxActionMemory":       mem.max,
		"minActionTimeout":      tmo.min,
		"maxActionTimeout":      tmo.max,
		"minActionLogs":         0,
		"maxActionLogs":         10,
		"minActionConcurrency":  1,
		"maxActionConcurrency":  500,
		"storeActivations":      true,
	})
}
