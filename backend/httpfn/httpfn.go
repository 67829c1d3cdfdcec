// Package httpfn runs tasks on workers reached over HTTP: `overcast worker
// serve` processes, or the same worker on a platform that calls a container
// over HTTP (Knative, Cloud Run, OpenFaaS, Azure Functions). Each attempt
// is one POST of the encoded task envelope to ENDPOINT/invoke, answered
// with the encoded response.
//
// Open it by URL:
//
//	http://?endpoint=URL[,URL...]&concurrency=&auth=&token-file=&limit=&ca=
//	http://HOST[:PORT]   (the same as endpoint=http://HOST[:PORT])
//	https://HOST[:PORT]  (the same as endpoint=https://HOST[:PORT])
//
// Invocations go to the endpoints in turn, at most concurrency (default
// 100) at once on each, over kept-alive connections, in HTTP/2 where TLS
// offers it. An endpoint that refuses connections leaves the rotation
// until it answers again. auth is how requests prove who sends them:
// none; bearer (an Authorization: Bearer token from OVERCAST_TOKEN or
// token-file, the default when either is set); google (a Google ID token
// for Cloud Run whose audience is the endpoint's service URL, minted from
// the service account key in token-file or the application default
// credentials); azure (an x-functions-key header from OVERCAST_AZURE_KEY or
// token-file); basic (user:pass from OVERCAST_BASIC_AUTH or token-file).
// In the last three the workers' own token, when OVERCAST_TOKEN is set,
// goes in X-Overcast-Token, as the platform's credential may take the
// Authorization header. Credentials never travel in the backend URL, and
// every error has them redacted (all but those under 4 characters, which
// would mangle messages without hiding anything).
//
// limit is the largest envelope, in bytes, that the workers take (default
// 32 MiB, Cloud Run's limit on a request); bigger inputs and outputs pass
// through object storage. ca names a PEM file of certificates to trust
// besides the system's.
//
// An endpoint http(s)://GATEWAY/async-function/NAME, the only one, selects
// OpenFaaS's asynchronous mode (Async): each task is queued by the gateway
// and its result POSTed back to a listener of the driver's
// (callback-addr, callback-url as the gateway reaches it,
// callback-timeout before a task counts as lost and is tried again).
//
// Errors carry the driver's codes: 429 and 503 (Knative while it scales
// from zero) are ResourceExhausted with the Retry-After the platform sent
// (driver.ThrottleError); 401 and 403 PermissionDenied, naming the auth
// mode; 404 NotFound; 413 InvalidArgument; other 5xx Unavailable. A
// connection refused before the request was sent is Unreachable; one that
// broke after it was sent is Lost, retried since tasks are idempotent.
package httpfn

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

func init() {
	for _, scheme := range []string{"http", "https"} {
		backend.Register(scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
			opts, err := ParseURL(u)
			if err != nil {
				return nil, err
			}
			if opts.async() {
				return OpenAsync(ctx, opts)
			}
			return Open(ctx, opts)
		})
	}
}

// Defaults of the driver's settings.
const (
	// DefaultConcurrency is the invocations in flight per endpoint: a
	// Cloud Run instance takes 80 at once by default and scales out past
	// that, Knative queues what its containers do not take.
	DefaultConcurrency = 100
	// DefaultPayloadLimit is Cloud Run's limit on an HTTP/1 request.
	DefaultPayloadLimit = 32 << 20
)

// Options configure the http backend.
type Options struct {
	// Endpoints are the workers' base URLs; each attempt is a POST to one
	// of them with /invoke appended.
	Endpoints []string
	// Concurrency bounds invocations in flight per endpoint; zero means
	// DefaultConcurrency.
	Concurrency int
	// Auth says how requests are authenticated.
	Auth Auth
	// PayloadLimit is the largest envelope the workers take; zero means
	// DefaultPayloadLimit.
	PayloadLimit int
	// CAFile names a PEM file of certificates to trust besides the
	// system's.
	CAFile string
	// HTTPClient sends the driver's requests; nil means a client with a
	// transport tuned for Concurrency connections per endpoint.
	HTTPClient HTTPClient
	// CallbackAddr, CallbackURL and CallbackTimeout place the callback
	// listener of OpenFaaS's asynchronous mode, which an endpoint
	// http(s)://GATEWAY/async-function/NAME selects (see AsyncOptions).
	CallbackAddr, CallbackURL string
	CallbackTimeout           time.Duration
}

// ParseURL reads Options from an http:// or https:// URL.
func ParseURL(u *url.URL) (*Options, error) {
	o := &Options{}
	if u.User != nil {
		return nil, fmt.Errorf("the backend URL must not hold credentials: set %s, %s or %s, or token-file", EnvToken, EnvAzureKey, EnvBasic)
	}
	if u.Host != "" {
		eps, err := parseEndpoints(u.Scheme + "://" + u.Host + u.Path)
		if err != nil {
			return nil, err
		}
		o.Endpoints = eps
	} else if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, fmt.Errorf("http URL takes an endpoint as host or endpoint=, got path %q", u.Path)
	}
	for k, v := range u.Query() {
		if err := o.set(k, v[len(v)-1]); err != nil {
			return nil, err
		}
	}
	if len(o.Endpoints) == 0 {
		return nil, fmt.Errorf("no endpoint: give the workers' base URLs with --endpoint URL[,URL...]")
	}
	return o, nil
}

func (o *Options) set(k, v string) error {
	var err error
	switch k {
	case "endpoint":
		var eps []string
		eps, err = parseEndpoints(v)
		o.Endpoints = append(o.Endpoints, eps...)
	case "concurrency":
		o.Concurrency, err = positiveInt(k, v)
	case "limit":
		o.PayloadLimit, err = positiveInt(k, v)
	case "auth":
		o.Auth.Mode, err = parseMode(v)
	case "token-file":
		o.Auth.File = v
	case "ca":
		o.CAFile = v
	case "callback-addr":
		o.CallbackAddr = v
	case "callback-url":
		o.CallbackURL = v
	case "callback-timeout":
		o.CallbackTimeout, err = time.ParseDuration(v)
		if err == nil && o.CallbackTimeout <= 0 {
			err = fmt.Errorf("callback-timeout must be positive, got %q", v)
		}
	default:
		return fmt.Errorf("unknown setting %q (known: endpoint, concurrency, auth, token-file, limit, ca, callback-addr, callback-url, callback-timeout)", k)
	}
	return err
}

func positiveInt(k, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer, got %q", k, v)
	}
	return n, nil
}

// parseEndpoints reads comma-separated http(s) base URLs
// (rotation.ParseEndpoints).
func parseEndpoints(v string) ([]string, error) {
	return rotation.ParseEndpoints(v, fmt.Sprintf("set %s, %s or %s, or --token-file, instead", EnvToken, EnvAzureKey, EnvBasic))
}

// async reports whether o selects OpenFaaS's asynchronous mode: one
// endpoint, a function's /async-function/ URL.
func (o *Options) async() bool {
	return len(o.Endpoints) == 1 && IsAsyncEndpoint(o.Endpoints[0])
}

func (o *Options) perEndpoint() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return DefaultConcurrency
}

func (o *Options) payloadLimit() int {
	if o.PayloadLimit > 0 {
		return o.PayloadLimit
	}
	return DefaultPayloadLimit
}

// invokeURL is where an endpoint takes invocations.
func invokeURL(endpoint string) string {
	if strings.HasSuffix(endpoint, "/invoke") {
		return endpoint
	}
	return endpoint + "/invoke"
}

// healthURL is what the driver probes on an endpoint out of rotation.
func healthURL(endpoint string) string {
	return strings.TrimSuffix(endpoint, "/invoke") + "/healthz"
}
