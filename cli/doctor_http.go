package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/httpfn"
)

// bindWorkers names the workers' own concurrency as the binding limit.
const bindWorkers = "workers"

// Bounds of doctor's concurrency probe on an http endpoint: at most
// probeWidth tasks at once, each holding its slot for probeHoldMS unless
// the worker's 429 ends the probe first.
const (
	probeWidth  = 16
	probeHoldMS = 2000
)

// addDoctorHTTPFlags adds the http flags doctor weighs besides the ones
// every command takes: the driver's bound per endpoint and the payload
// limit, which run takes too.
func (b *backendFlags) addDoctorHTTP(fs *pflag.FlagSet) {
	all := pflag.NewFlagSet("http", pflag.ContinueOnError)
	b.addHTTP(all)
	for _, name := range []string{"http-concurrency", "http-payload-limit"} {
		if f := all.Lookup(name); f != nil && fs.Lookup(name) == nil {
			setGroup(f, httpTitle)
			fs.AddFlag(f)
		}
	}
}

// endpointReport is what doctor learned of one http endpoint.
type endpointReport struct {
	URL string `json:"url"`
	Up  bool   `json:"up"`
	// Health is GET /healthz's status, or why it did not answer.
	Health string `json:"health"`
	// Concurrency is what the worker said in its 429; 0 when unknown.
	Concurrency int `json:"concurrency"`
	// AtLeast is the width the probe reached without a 429, when the
	// concurrency is unknown.
	AtLeast           int      `json:"at_least,omitempty"`
	ColdStartSeconds  *float64 `json:"cold_start_seconds"`
	WarmInvokeSeconds *float64 `json:"warm_invoke_seconds"`
}

// doctorHTTP gathers the report of http workers: each endpoint's health,
// the concurrency its worker names in a 429 (learned by sending one task
// more than the driver would, at most probeWidth), the payload limit, and
// the first (cold) and a later (warm) invocation's latency.
func doctorHTTP(ctx context.Context, f *doctorFlags) (*doctorReport, error) {
	raw, err := f.backends.url("http")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("http backend: %w", err)
	}
	o, err := httpfn.ParseURL(u)
	if err != nil {
		return nil, usagef("%v", err)
	}
	per := o.Concurrency
	if per == 0 {
		per = httpfn.DefaultConcurrency
	}
	r := &doctorReport{Backend: "http", TaskSeconds: f.taskSeconds, Kinds: []string{}, Notes: []string{}}
	eps := make([]*endpointProbe, len(o.Endpoints))
	errs := make([]error, len(o.Endpoints))
	var wg sync.WaitGroup
	for i, ep := range o.Endpoints {
		wg.Go(func() {
			eps[i], errs[i] = doctorEndpoint(ctx, *o, ep, per, !f.noInvoke)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the first: one line, though others may fail alike
		}
	}
	for _, e := range eps {
		r.Endpoints = append(r.Endpoints, e.endpointReport)
		r.PayloadLimitBytes = e.payload
	}
	return r, r.decideHTTP(per, o.Concurrency > 0)
}

// decideHTTP sums the endpoints up into the width and names what binds:
// the workers when one takes fewer than --http-concurrency, else that
// setting (or the driver's default when it was not given).
func (r *doctorReport) decideHTTP(per int, set bool) error {
	up, workers := 0, false
	for _, e := range r.Endpoints {
		if !e.Up {
			r.note("%s is down: it adds nothing until it answers", e.URL)
			continue
		}
		up++
		w := per
		if e.Concurrency > 0 && e.Concurrency < per {
			w, workers = e.Concurrency, true
		}
		if e.Concurrency == 0 && e.AtLeast > 0 {
			r.note("%s took %d tasks at once without a 429: its concurrency is at least that", e.URL, e.AtLeast)
		}
		r.ConcurrentLimit += w
	}
	if up == 0 {
		return fmt.Errorf("no endpoint answers: %d down", len(r.Endpoints))
	}
	r.DriverCapacity = per * up
	r.MaxConcurrency = r.ConcurrentLimit
	switch {
	case workers:
		r.BindingLimit = bindWorkers
	case set:
		r.BindingLimit = bindSetting
	default:
		r.BindingLimit = bindDriver
		r.note("overcast sends each endpoint at most %d tasks at once by default; --http-concurrency changes it", per)
	}
	if r.ColdStartSeconds == nil && r.WarmInvokeSeconds == nil {
		r.ColdStartSeconds, r.WarmInvokeSeconds = r.endpointLatency()
	}
	return nil
}

// endpointLatency is the least cold and warm latency over the endpoints.
func (r *doctorReport) endpointLatency() (*float64, *float64) {
	var cold, warm []float64
	for _, e := range r.Endpoints {
		if e.ColdStartSeconds != nil {
			cold = append(cold, *e.ColdStartSeconds)
		}
		if e.WarmInvokeSeconds != nil {
			warm = append(warm, *e.WarmInvokeSeconds)
		}
	}
	return least(cold), least(warm)
}

// endpointProbe is an endpointReport with what the report sums up.
type endpointProbe struct {
	endpointReport
	payload int
}

// doctorEndpoint checks one endpoint through a driver of its own: its
// health, then (with invoke) an empty task twice, cold then warm, and
// min(per+1, probeWidth) tasks at once to learn its concurrency. A
// refused credential is an error; an endpoint that does not answer is
// down.
func doctorEndpoint(ctx context.Context, o httpfn.Options, ep string, per int, invoke bool) (*endpointProbe, error) {
	width := min(per+1, probeWidth)
	o.Endpoints, o.Concurrency = []string{ep}, width
	d, err := httpfn.Open(ctx, &o)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	e := &endpointProbe{endpointReport: endpointReport{URL: ep}, payload: d.PayloadLimit()}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	status, err := d.Health(hctx, 0)
	cancel()
	switch {
	case err != nil:
		e.Health = oneLine(err.Error())
		return e, nil
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		e.Health = fmt.Sprintf("GET /healthz: HTTP %d", status)
		return e, nil
	}
	e.Up, e.Health = true, fmt.Sprintf("HTTP %d", status)
	if !invoke {
		return e, nil
	}
	for i := range 2 {
		lat, _, err := invokeEcho(ctx, d, 0)
		if err != nil {
			var he *httpfn.Error
			if errors.As(err, &he) && he.Code == driver.PermissionDenied {
				return nil, fmt.Errorf("%s refuses the credential (check --http-auth, --token-file or %s): %w", ep, httpfn.EnvToken, err)
			}
			return nil, fmt.Errorf("%s: %w", ep, err)
		}
		if i == 0 {
			e.ColdStartSeconds = &lat
		} else {
			e.WarmInvokeSeconds = &lat
		}
	}
	n, err := probeConcurrency(ctx, d, width)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ep, err)
	}
	if n > 0 {
		e.Concurrency = n
	} else {
		e.AtLeast = width
	}
	return e, nil
}

// probeConcurrency sends width tasks at once, each holding its slot for
// probeHoldMS, and returns the concurrency the worker names in its 429
// (which ends the probe), or 0 when none came.
func probeConcurrency(ctx context.Context, d driver.Backend, width int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	limit := 0
	var first error
	var wg sync.WaitGroup
	for range width {
		wg.Go(func() {
			_, _, err := invokeEcho(ctx, d, probeHoldMS)
			var te driver.ThrottleError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.As(err, &te):
				// A 429 that names no concurrency (not an overcast
				// worker) tells nothing: the endpoint counts as unknown.
				if te.Limit() > 0 {
					limit = te.Limit()
					cancel()
				}
			case first == nil:
				first = err
			}
		})
	}
	wg.Wait()
	if limit > 0 {
		return limit, nil
	}
	return 0, first
}
