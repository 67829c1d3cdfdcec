package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

// LoopbackOptions describe a measurement of the machine's raw loopback
// HTTP rate: Clients keep-alive clients posting a body of BodyBytes to a
// bare Go server in this process, for Duration or until Requests requests
// were answered, whichever comes first.
type LoopbackOptions struct {
	// Clients is the number of clients posting at once; zero means 256.
	Clients int
	// BodyBytes is the size of each request's body; zero means the size
	// of the last task envelope of a 10,000-task bench fanout.
	BodyBytes int
	// Duration is how long clients start new requests (those in flight
	// then finish and count); zero means one second unless Requests is
	// set.
	Duration time.Duration
	// Requests, when positive, stops the measurement after this many
	// answered requests.
	Requests int
}

// LoopbackResult is one loopback measurement.
type LoopbackResult struct {
	RequestsPerSecond float64 `json:"requests_per_second"`
	Requests          int64   `json:"requests"`
	Clients           int     `json:"clients"`
	BodyBytes         int     `json:"body_bytes"`
	DurationSeconds   float64 `json:"duration_seconds"`
}

// loopbackAnswer is what the bare server answers: about the size of an
// OpenWhisk answer to a non-blocking invoke.
var loopbackAnswer = []byte(`{"activationId":"0123456789abcdef0123456789abcdef"}`)

// TaskEnvelope returns the envelope that bench fanout posts for the last
// of tasks tasks sleeping taskMS milliseconds each, on its first attempt:
// the body of a real invoke request.
func TaskEnvelope(tasks, taskMS int) ([]byte, error) {
	in, err := json.Marshal(selftest.Input{N: tasks - 1, SleepMS: taskMS})
	if err != nil {
		return nil, err
	}
	return worker.EncodeRequest(&worker.Request{Task: selftest.Echo, Job: overcast.NewJobID(), Index: tasks - 1, Attempt: 1, Input: in})
}

// LoopbackRate measures the machine's raw loopback HTTP rate in this
// process: a bare net/http server on 127.0.0.1 that reads each body and
// answers a small JSON, and o.Clients clients sharing one keep-alive
// transport. It is the baseline that fan-out rates are a fraction of.
func LoopbackRate(ctx context.Context, o LoopbackOptions) (LoopbackResult, error) {
	o, body, err := o.withDefaults()
	if err != nil {
		return LoopbackResult{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return LoopbackResult{}, fmt.Errorf("loopback listen: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(loopbackHandler), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: o.Clients, MaxIdleConnsPerHost: o.Clients, IdleConnTimeout: 90 * time.Second}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + "/api/v1/namespaces/_/actions/overcast?blocking=false"

	run := &loopbackRun{c: c, url: url, body: body, limit: int64(o.Requests)}
	// After the duration no client starts another request; those in
	// flight finish and count, so a slow machine still measures a rate.
	stop := time.AfterFunc(o.Duration, func() { run.stopped.Store(true) })
	defer stop.Stop()
	errs := make([]error, o.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.Clients {
		wg.Go(func() { errs[i] = run.client(ctx) })
	}
	wg.Wait()
	took := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return LoopbackResult{}, err
	}
	n := run.done.Load()
	if n == 0 {
		return LoopbackResult{}, errors.New("loopback: no request was answered")
	}
	return LoopbackResult{RequestsPerSecond: float64(n) / took.Seconds(), Requests: n, Clients: o.Clients,
		BodyBytes: len(body), DurationSeconds: took.Seconds()}, nil
}

func (o LoopbackOptions) withDefaults() (LoopbackOptions, []byte, error) {
	if o.Clients < 0 || o.BodyBytes < 0 || o.Duration < 0 || o.Requests < 0 {
		return o, nil, errors.New("loopback options must not be negative")
	}
	if o.Clients == 0 {
		o.Clients = 256
	}
	if o.Duration == 0 {
		o.Duration = time.Second
		if o.Requests > 0 {
			o.Duration = time.Minute
		}
	}
	if o.BodyBytes == 0 {
		env, err := TaskEnvelope(10000, 1000)
		if err != nil {
			return o, nil, err
		}
		return o, env, nil
	}
	return o, bytes.Repeat([]byte{'x'}, o.BodyBytes), nil
}

// loopbackHandler reads the body and answers the small JSON.
func loopbackHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write(loopbackAnswer)
}

// loopbackRun is what the clients of one measurement share.
type loopbackRun struct {
	c     *http.Client
	url   string
	body  []byte
	limit int64 // requests to send; zero means until the context ends

	claimed atomic.Int64 // requests started, when limited
	done    atomic.Int64 // requests answered
	stopped atomic.Bool  // the duration is over
}

// client posts the body until the duration is over or every limited
// request is claimed, counting the answered ones; a request fails when ctx
// ends. It posts at least once: on a loaded machine the duration can be
// over before a client first runs, and a measurement must answer some.
func (r *loopbackRun) client(ctx context.Context) error {
	for first := true; first || !r.stopped.Load(); first = false {
		if r.limit > 0 && r.claimed.Add(1) > r.limit {
			return nil
		}
		if err := r.post(ctx); err != nil {
			return err
		}
		r.done.Add(1)
	}
	return nil
}

// post sends one request and reads the whole answer.
func (r *loopbackRun) post(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.c.Do(req)
	if err != nil {
		return fmt.Errorf("loopback post: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("loopback read answer: %w", err)
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("loopback post: status %d", resp.StatusCode)
	}
	return nil
}
