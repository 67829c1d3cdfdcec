package openwhisk

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Response size bounds: the platform's own limits with room to spare.
const (
	maxErrorBody      = 64 << 10
	maxActivationBody = 16 << 20
	maxListBody       = 512 << 20
	maxActionBody     = 256 << 20
)

// Client is a small client of the OpenWhisk REST API. Its errors are
// *APIError (classified refusals) or transport errors, and none of them
// carry the credentials.
type Client struct {
	base *url.URL
	ns   string
	user string
	pass string
	// authz is the Authorization header the credentials make.
	authz []string
	hc    *http.Client
	// clock is the server's clock minus ours, learned from Date headers.
	clock *clockSkew
	// invokeURLs caches the URL of each action's invoke, by name and
	// blocking flag: thousands of invokes build the same one.
	invokeURLs *sync.Map // invokeKey -> string
	// hidden are more secrets to scrub: the storage credentials deployed.
	hidden *sync.Map // string -> struct{}
}

// hide adds secrets that scrub removes from messages from now on.
func (c *Client) hide(secrets ...string) {
	if c.hidden == nil {
		return
	}
	for _, s := range secrets {
		if s != "" {
			c.hidden.Store(s, struct{}{})
		}
	}
}

// NewClient returns a client for cfg.
func NewClient(cfg *Config) (*Client, error) {
	base, err := cfg.BaseURL()
	if err != nil {
		return nil, err
	}
	user, pass, ok := strings.Cut(cfg.Auth, ":")
	if cfg.Auth == "" || !ok {
		return nil, errors.New("no usable credentials: set AUTH=uuid:key in ~/.wskprops (or WSK_CONFIG_FILE), WHISK_AUTH, or --auth")
	}
	tlsConf := &tls.Config{InsecureSkipVerify: cfg.Insecure}
	if cfg.Cert != "" || cfg.Key != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("load client certificate (CERT, KEY): %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second,
		ForceAttemptHTTP2:   true,
		TLSClientConfig:     tlsConf,
	}
	authz := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	return &Client{base: base, ns: url.PathEscape(cfg.namespace()), user: user, pass: pass, authz: []string{authz},
		hc: &http.Client{Transport: tr}, clock: &clockSkew{}, invokeURLs: &sync.Map{}, hidden: &sync.Map{}}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

type response struct {
	status int
	header http.Header
	body   []byte
}

// Header values every request shares; nothing modifies them.
var (
	acceptJSON      = []string{"application/json"}
	contentTypeJSON = []string{"application/json"}
)

// do sends one request about the namespace and reads at most limit bytes
// of the answer.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, limit int64) (*response, error) {
	return c.send(ctx, method, c.nsURL(path, q), body, limit)
}

// nsURL returns the address of path in the namespace with query q.
func (c *Client) nsURL(path string, q url.Values) *url.URL {
	u := *c.base
	u.Path += "/namespaces/" + c.ns + path
	u.RawQuery = q.Encode()
	return &u
}

// send sends one request to u and reads at most limit bytes of the answer.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body []byte, limit int64) (*response, error) {
	return c.sendRaw(ctx, method, u.Path, u.String(), body, limit)
}

type invokeKey struct {
	name     string
	blocking bool
}

// invokeAddr is an invoke's address: the URL and, for messages, its path.
type invokeAddr struct{ raw, path string }

// invokeURL returns the (cached) address that invokes action name.
func (c *Client) invokeURL(name string, blocking bool) invokeAddr {
	k := invokeKey{name, blocking}
	if a, ok := c.invokeURLs.Load(k); ok {
		return a.(invokeAddr)
	}
	u := c.nsURL(actionPath(name), url.Values{"blocking": {strconv.FormatBool(blocking)}})
	a := invokeAddr{raw: u.String(), path: u.Path}
	c.invokeURLs.Store(k, a)
	return a
}

// sendRaw sends one request to rawURL, whose path is path, and reads at
// most limit bytes of the answer.
func (c *Client) sendRaw(ctx context.Context, method, path, rawURL string, body []byte, limit int64) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	req.Header["Authorization"] = c.authz
	req.Header["Accept"] = acceptJSON
	if body != nil {
		req.Header["Content-Type"] = contentTypeJSON
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.scrubErr(c.connectionError(ctx, err))
	}
	defer resp.Body.Close()
	c.clock.observe(resp.Header.Get("Date"))
	if resp.StatusCode >= 300 {
		limit = min(limit, maxErrorBody)
		if resp.StatusCode == 502 || resp.StatusCode == 500 {
			limit = maxActivationBody // a blocking invoke's failed activation
		}
	}
	data, err := readAtMost(resp, limit+1)
	if err != nil {
		return nil, c.scrubErr(c.connectionError(ctx, err))
	}
	if int64(len(data)) > limit {
		if resp.StatusCode >= 300 {
			data = data[:limit]
		} else {
			return nil, fmt.Errorf("%s %s: answer over %d bytes: %w", method, path, limit, errTooLarge)
		}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// connectionError wraps err, a request's failure to get a whole answer,
// in a *ConnectionError naming the API host; the cancellation of ctx
// stays as it is.
func (c *Client) connectionError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &ConnectionError{Host: c.base.Host, Err: err}
}

// readAtMost reads at most n bytes of resp's body, in one buffer of the
// announced size when the server announced one.
func readAtMost(resp *http.Response, n int64) ([]byte, error) {
	if cl := resp.ContentLength; cl >= 0 && cl < n {
		buf := make([]byte, cl+1) // one spare byte to see a body longer than announced
		m, err := io.ReadFull(resp.Body, buf)
		if m == int(cl) && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			return buf[:m], nil
		}
		if err == nil { // longer than announced: read on, within n
			rest, err := io.ReadAll(io.LimitReader(resp.Body, n-int64(m)))
			return append(buf, rest...), err
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, n))
}

// apiError turns a refusal into an *APIError with the platform's message.
func (c *Client) apiError(op string, r *response) *APIError {
	var body struct {
		Error string `json:"error"`
		Code  any    `json:"code"`
	}
	msg := ""
	if json.Unmarshal(r.body, &body) == nil && body.Error != "" {
		msg = body.Error
	} else {
		msg = strings.TrimSpace(string(r.body))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
	}
	return newAPIError(op, r.status, c.scrub(msg))
}

// protocolError says that r, the answer to op, is not an OpenWhisk API's:
// it lacks want.
func (c *Client) protocolError(op string, r *response, want string) *ProtocolError {
	body := strings.TrimSpace(string(r.body))
	if len(body) > 60 {
		body = body[:60] + "..."
	}
	return &ProtocolError{Op: op, Host: c.base.Host, Status: r.status, Want: want, Body: c.scrub(body)}
}

// scrub removes the credentials from a message, should a server echo them.
func (c *Client) scrub(s string) string {
	for _, secret := range []string{c.user + ":" + c.pass, c.pass} {
		if secret != "" && secret != ":" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	if c.hidden != nil {
		c.hidden.Range(func(k, _ any) bool {
			s = strings.ReplaceAll(s, k.(string), "[redacted]")
			return true
		})
	}
	return s
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (c *Client) scrubErr(err error) error {
	if msg := c.scrub(err.Error()); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

// clockSkew tracks the server's clock minus ours at second resolution.
type clockSkew struct {
	ns atomic.Int64
	// last is the last Date seen: the answers of one second share it,
	// and it is parsed once.
	last atomic.Pointer[string]
}

func (s *clockSkew) observe(date string) {
	if date == "" {
		return
	}
	if p := s.last.Load(); p != nil && *p == date {
		return
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	s.ns.Store(int64(time.Until(t)))
	s.last.Store(&date)
}

// serverTime converts a local time to the server's clock (to the second).
func (s *clockSkew) serverTime(t time.Time) time.Time {
	return t.Add(time.Duration(s.ns.Load()))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
