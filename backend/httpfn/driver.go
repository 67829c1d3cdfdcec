package httpfn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

// HTTPClient sends HTTP requests; *http.Client is one.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Driver is the http backend's driver.
type Driver struct {
	opts  *Options
	hc    HTTPClient
	tr    *http.Transport // nil when the options supplied the client
	rot   *rotation.Rotation
	creds *credentials
	limit int
	// invokeURLs are the endpoints' invoke URLs, by endpoint index.
	invokeURLs []string
}

// Open resolves the credentials and returns a driver. It makes no request
// to the endpoints; a Google token source may ask Google for a token.
func Open(ctx context.Context, o *Options) (*Driver, error) {
	if len(o.Endpoints) == 0 {
		return nil, fmt.Errorf("no endpoint: give the workers' base URLs with --endpoint URL[,URL...]")
	}
	for _, ep := range o.Endpoints {
		if IsAsyncEndpoint(ep) {
			return nil, fmt.Errorf("endpoint %s is an OpenFaaS async-function URL, which must be the only endpoint", ep)
		}
	}
	creds, err := newSigner(ctx, o.Auth, o.Endpoints)
	if err != nil {
		return nil, err
	}
	d := &Driver{opts: o, hc: o.HTTPClient, creds: creds, limit: o.payloadLimit()}
	if d.hc == nil {
		if d.tr, err = newTransport(o); err != nil {
			return nil, err
		}
		d.hc = &http.Client{Transport: d.tr}
	}
	for _, ep := range o.Endpoints {
		d.invokeURLs = append(d.invokeURLs, invokeURL(ep))
	}
	d.rot = rotation.New(rotation.Options{URLs: o.Endpoints, PerEndpoint: o.perEndpoint(), Probe: d.answers,
		Unreachable: func(last error) error {
			return &Error{Code: driver.Unreachable, Msg: "no endpoint answers", Err: last}
		}})
	return d, nil
}

// newTransport returns a transport that keeps a connection alive for
// every invocation in flight, and speaks HTTP/2 where TLS offers it.
func newTransport(o *Options) (*http.Transport, error) {
	per := o.perEndpoint()
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          per*len(o.Endpoints) + 16,
		MaxIdleConnsPerHost:   per + 1,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if o.CAFile != "" {
		pool, err := loadCAs(o.CAFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return tr, nil
}

// loadCAs returns the system's certificate pool with the PEM
// certificates in file added.
func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// answers reports whether endpoint i serves again: any answer to GET
// /healthz will do (a platform that routes only /invoke answers 404), but
// a gateway's or a draining worker's 502, 503 or 504.
func (d *Driver) answers(ctx context.Context, i int) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL(d.opts.Endpoints[i]), nil)
	if err != nil {
		return false
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return false
	}
	return true
}

// Health asks endpoint i's GET /healthz and returns the answer's status.
func (d *Driver) Health(ctx context.Context, i int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL(d.opts.Endpoints[i]), nil)
	if err != nil {
		return 0, fmt.Errorf("health: %w", err)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return 0, d.scrub(err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Capacity returns how many invocations the driver has in flight at most:
// the concurrency per endpoint times the endpoints.
func (d *Driver) Capacity() int { return d.rot.Capacity() }

// PayloadLimit returns the largest envelope the workers take
// (driver.PayloadLimiter).
func (d *Driver) PayloadLimit() int { return d.limit }

// ErrorCode classifies an error returned by Invoke.
func (d *Driver) ErrorCode(err error) driver.ErrorCode { return errorCode(err) }

// Observe sets the Observer told when an endpoint goes out of rotation
// and when it comes back (driver.Observed).
func (d *Driver) Observe(o driver.Observer) { d.rot.Observe(o) }

// Auth says how requests are authenticated, in a phrase.
func (d *Driver) Auth() string { return d.creds.about }

// Close stops probing endpoints and closes idle connections.
func (d *Driver) Close() error {
	d.rot.Close()
	if d.tr != nil {
		d.tr.CloseIdleConnections()
	}
	return nil
}

var (
	_ driver.Backend        = (*Driver)(nil)
	_ driver.PayloadLimiter = (*Driver)(nil)
	_ driver.Observed       = (*Driver)(nil)
)
