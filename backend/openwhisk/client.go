package openwhisk

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	hc   *http.Client
	// clock is the server's clock minus ours, learned from Date headers.
	clock *clockSkew
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
	return &Client{base: base, ns: url.PathEscape(cfg.namespace()), user: user, pass: pass,
		hc: &http.Client{Transport: tr}, clock: &clockSkew{}}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request about the namespace and reads at most limit bytes
// of the answer.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, limit int64) (*response, error) {
	u := *c.base
	u.Path += "/namespaces/" + c.ns + path
	u.RawQuery = q.Encode()
	return c.send(ctx, method, &u, body, limit)
}

// send sends one request to u and reads at most limit bytes of the answer.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body []byte, limit int64) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.scrubErr(err)
	}
	defer resp.Body.Close()
	c.clock.observe(resp.Header.Get("Date"))
	if resp.StatusCode >= 300 {
		limit = min(limit, maxErrorBody)
		if resp.StatusCode == 502 || resp.StatusCode == 500 {
			limit = maxActivationBody // a blocking invoke's failed activation
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, c.scrubErr(err)
	}
	if int64(len(data)) > limit {
		if resp.StatusCode >= 300 {
			data = data[:limit]
		} else {
			return nil, fmt.Errorf("%s %s: answer over %d bytes: %w", method, u.Path, limit, errTooLarge)
		}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
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

// scrub removes the credentials from a message, should a server echo them.
func (c *Client) scrub(s string) string {
	for _, secret := range []string{c.user + ":" + c.pass, c.pass} {
		if secret != "" && secret != ":" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
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
type clockSkew struct{ ns atomic.Int64 }

func (s *clockSkew) observe(date string) {
	if date == "" {
		return
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return
	}
	s.ns.Store(int64(time.Until(t)))
}

// serverTime converts a local time to the server's clock (to the second).
func (s *clockSkew) serverTime(t time.Time) time.Time {
	return t.Add(time.Duration(s.ns.Load()))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
