package faasgw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what the activator does with a request while no instance of the
// revision is ready.
type Mode int

const (
	// Buffer holds the request until an instance is ready, and answers
	// 503 when none is within the activation timeout: what Knative's
	// activator does.
	Buffer Mode = iota
	// Reject answers 503 with a Retry-After header at once while the
	// revision scales from zero: what a client meets behind a front end
	// that does not buffer, and what tests of client retries want.
	Reject
)

// Knative Serving's limits on a revision's request timeout (the
// revision's timeoutSeconds, and max-revision-timeout-seconds).
const (
	DefaultRevisionTimeout = 300 * time.Second
	MaxRevisionTimeout     = 600 * time.Second
)

// KnativeOptions configure a Knative stand-in. Only Starter is required.
type KnativeOptions struct {
	// Starter starts the revision's instances (pods).
	Starter Starter
	// Mode is what happens to requests while no instance is ready.
	Mode Mode
	// ColdWindow is the least time from a request that finds the revision
	// at zero until its first instance takes requests (scheduling a pod,
	// pulling its image); the instance's own start comes on top.
	ColdWindow time.Duration
	// RetryAfter is the hint Reject sends, in whole seconds rounded up;
	// zero means 1 s.
	RetryAfter time.Duration
	// ActivationTimeout bounds how long Buffer holds a request waiting for
	// an instance; zero means the request timeout.
	ActivationTimeout time.Duration
	// ContainerConcurrency is the hard limit of requests one instance
	// serves at once; zero means no limit. As Knative's queue-proxy does,
	// requests above it wait in a queue ten times as deep, and requests
	// that find the queue full are answered 503.
	ContainerConcurrency int
	// MaxScale bounds the instances; zero means 1. A request that finds
	// every instance at its containerConcurrency starts another.
	MaxScale int
	// Timeout is the revision's request timeout: a request with no answer
	// by then is answered 504. Zero means DefaultRevisionTimeout; more
	// than MaxRevisionTimeout is refused.
	Timeout time.Duration
	// ScaleToZeroAfter, when set, stops every instance once the revision
	// has had no request for that long (Knative's stable window and
	// scale-to-zero grace period); the next request scales from zero
	// again. Zero keeps instances until Close.
	ScaleToZeroAfter time.Duration
}

// KnativeStats counts what a Knative stand-in did.
type KnativeStats struct {
	// Requests is every request received.
	Requests int64
	// Proxied is requests handed to an instance.
	Proxied int64
	// Scaling is requests answered 503 (Reject) while scaling from zero.
	Scaling int64
	// ActivationTimeouts is requests Buffer held past the activation timeout.
	ActivationTimeouts int64
	// QueueFull is requests the queue-proxy refused above its queue.
	QueueFull int64
	// Timeouts is requests answered 504 at the request timeout.
	Timeouts int64
	// Started is instances started, StartErrors starts that failed,
	// Stopped instances stopped on scaling to zero.
	Started, StartErrors, Stopped int64
}

// Knative is a stand-in for a Knative Serving revision behind its
// activator and queue-proxy. It is an http.Handler that forwards every
// request, path unchanged, to one of its instances, starting them lazily.
type Knative struct {
	opts     KnativeOptions
	tr       *http.Transport
	handlers sync.WaitGroup

	mu       sync.Mutex
	replicas []*replica
	starting int
	wake     chan struct{} // closed when replicas change or a start fails
	startErr error
	closed   bool
	starts   sync.WaitGroup

	lastActive time.Time // when a request last ended; guarded by mu
	inflight   int       // requests given a replica and not ended; guarded by mu
	idle       chan struct{}

	requests, proxied, scaling, activationTimeouts, queueFull, timeouts, started, startErrors, stopped atomic.Int64
}

// NewKnative returns a revision at zero instances.
func NewKnative(opts KnativeOptions) (*Knative, error) {
	if opts.Starter == nil {
		return nil, errors.New("faasgw: knative: no starter")
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultRevisionTimeout
	}
	if opts.Timeout < 0 || opts.Timeout > MaxRevisionTimeout {
		return nil, fmt.Errorf("faasgw: knative: timeout %v outside (0, %v]", opts.Timeout, MaxRevisionTimeout)
	}
	if opts.ContainerConcurrency < 0 || opts.MaxScale < 0 || opts.ScaleToZeroAfter < 0 {
		return nil, errors.New("faasgw: knative: negative containerConcurrency, maxScale or scale-to-zero time")
	}
	if opts.MaxScale == 0 {
		opts.MaxScale = 1
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.ActivationTimeout <= 0 {
		opts.ActivationTimeout = opts.Timeout
	}
	k := &Knative{opts: opts, tr: newTransport(), wake: make(chan struct{}), idle: make(chan struct{})}
	if opts.ScaleToZeroAfter > 0 {
		k.starts.Add(1)
		go k.scaleToZero()
	}
	return k, nil
}

// scaleToZero stops the instances of a revision idle for
// ScaleToZeroAfter, checking four times a period, until Close.
func (k *Knative) scaleToZero() {
	defer k.starts.Done()
	tick := time.NewTicker(k.opts.ScaleToZeroAfter / 4)
	defer tick.Stop()
	for {
		select {
		case <-k.idle:
			return
		case <-tick.C:
		}
		for _, rep := range k.idleReplicas() {
			rep.Stop()
			k.stopped.Add(1)
		}
	}
}

// idleReplicas takes the replicas out of the revision when none has
// served a request for ScaleToZeroAfter.
func (k *Knative) idleReplicas() []*replica {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.starting > 0 || k.inflight > 0 || time.Since(k.lastActive) < k.opts.ScaleToZeroAfter {
		return nil
	}
	reps := k.replicas
	k.replicas = nil
	return reps
}

// ended notes that a request given a replica ended.
func (k *Knative) ended() {
	k.mu.Lock()
	k.inflight--
	k.lastActive = time.Now()
	k.mu.Unlock()
}

// ServeHTTP answers one request as the revision's front end would.
func (k *Knative) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.requests.Add(1)
	withTimeout(w, r, k.opts.Timeout, &k.handlers, k.serve, func() { k.timeouts.Add(1) })
}

func (k *Knative) serve(w http.ResponseWriter, r *http.Request) {
	rep, err := k.activate(r.Context())
	if err != nil {
		k.refuse(w, err)
		return
	}
	defer k.ended()
	if err := rep.br.acquire(r.Context()); err != nil {
		if errors.Is(err, errQueueFull) {
			k.queueFull.Add(1)
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer rep.br.release()
	k.proxied.Add(1)
	rep.proxy.ServeHTTP(w, r)
}

// errScaling and errActivation are why the activator refused a request.
var (
	errScaling    = errors.New("revision is scaling from zero")
	errActivation = errors.New("activator request timeout: no instance became ready")
)

func (k *Knative) refuse(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errScaling):
		k.scaling.Add(1)
		secs := int((k.opts.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	case errors.Is(err, errActivation):
		k.activationTimeouts.Add(1)
	}
	http.Error(w, err.Error(), http.StatusServiceUnavailable)
}

// activate returns the instance to serve a request, starting instances
// as needed; it waits for one only in Buffer mode.
func (k *Knative) activate(ctx context.Context) (*replica, error) {
	ctx, cancel := context.WithTimeout(ctx, k.opts.ActivationTimeout)
	defer cancel()
	for first := true; ; first = false {
		rep, wake, err := k.pick(first)
		if rep != nil || err != nil {
			return rep, err
		}
		if k.opts.Mode == Reject {
			return nil, errScaling
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, errActivation
		}
	}
}

// pick returns the least loaded instance, starting another when every one
// is at its limit, or the channel to wait on: when none is ready, and in
// Buffer mode when all are at their limit and another is starting. A request
// that waited for a start that failed gets the failure; only a request's
// first pick tries again.
func (k *Knative) pick(first bool) (*replica, chan struct{}, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, nil, errors.New("revision closed")
	}
	var best *replica
	for _, rep := range k.replicas {
		if best == nil || rep.br.load() < best.br.load() {
			best = rep
		}
	}
	busy := best == nil || (k.opts.ContainerConcurrency > 0 && best.br.load() >= k.opts.ContainerConcurrency)
	if best == nil && !first && k.startErr != nil && k.starting == 0 {
		return nil, nil, fmt.Errorf("instance failed to start: %w", k.startErr)
	}
	if busy && k.starting == 0 && len(k.replicas) < k.opts.MaxScale && (first || k.startErr == nil) {
		k.startLocked()
	}
	if best != nil && (!busy || k.starting == 0 || k.opts.Mode == Reject) {
		k.inflight++
		return best, nil, nil
	}
	return nil, k.wake, nil
}

// startLocked starts one instance in the background; k.mu is held.
func (k *Knative) startLocked() {
	k.starting++
	k.startErr = nil
	k.starts.Add(1)
	cold := time.Now().Add(k.opts.ColdWindow)
	go func() {
		defer k.starts.Done()
		in, err := k.opts.Starter.Start(context.Background())
		if err == nil {
			time.Sleep(time.Until(cold))
		}
		k.add(in, err)
	}()
}

// add records the outcome of a start and wakes waiting requests.
func (k *Knative) add(in *Instance, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.starting--
	if err != nil {
		k.startErrors.Add(1)
		k.startErr = err
	} else if k.closed {
		in.Stop()
	} else {
		k.started.Add(1)
		k.replicas = append(k.replicas, newReplica(in, k.opts.ContainerConcurrency, k.tr))
	}
	close(k.wake)
	k.wake = make(chan struct{})
}

// Stats returns what the revision did so far.
func (k *Knative) Stats() KnativeStats {
	return KnativeStats{
		Requests: k.requests.Load(), Proxied: k.proxied.Load(), Scaling: k.scaling.Load(),
		ActivationTimeouts: k.activationTimeouts.Load(), QueueFull: k.queueFull.Load(),
		Timeouts: k.timeouts.Load(), Started: k.started.Load(), StartErrors: k.startErrors.Load(), Stopped: k.stopped.Load(),
	}
}

// InFlight returns the requests the queue-proxies hold, running or
// waiting.
func (k *Knative) InFlight() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, rep := range k.replicas {
		n += rep.br.load()
	}
	return n
}

// Close stops every instance, waiting for starts in progress and for
// requests abandoned at their timeout.
func (k *Knative) Close() error {
	k.mu.Lock()
	if !k.closed {
		close(k.idle)
	}
	k.closed = true
	reps := k.replicas
	k.replicas = nil
	k.mu.Unlock()
	k.starts.Wait()
	k.handlers.Wait()
	defer k.tr.CloseIdleConnections()
	var errs []error
	for _, rep := range reps {
		errs = append(errs, rep.Stop())
	}
	return errors.Join(errs...)
}
