package faasgw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// asyncCall is one queued asynchronous call.
type asyncCall struct {
	fn       *function
	path     string
	query    string
	header   http.Header
	body     []byte
	callback *url.URL
	callID   string
}

// asyncCall accepts a call onto the queue and answers 202 Accepted.
func (g *OpenFaaS) asyncCall(w http.ResponseWriter, r *http.Request) {
	fn, ok := g.fns[r.PathValue("name")]
	if !ok {
		http.Error(w, "Cannot find service: "+r.PathValue("name"), http.StatusNotFound)
		return
	}
	var cb *url.URL
	if s := r.Header.Get("X-Callback-Url"); s != "" {
		u, err := url.Parse(s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cb = u
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.MaxPayload))
	if err != nil && !errors.As(err, new(*http.MaxBytesError)) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := &asyncCall{fn: fn, path: "/" + r.PathValue("path"), query: r.URL.RawQuery, header: r.Header.Clone(),
		body: body, callback: cb, callID: r.Header.Get("X-Call-Id")}
	if err != nil || c.queuedSize(r) > g.opts.MaxPayload {
		http.Error(w, "nats: maximum payload exceeded", http.StatusInternalServerError)
		return
	}
	select {
	case g.queue <- c:
	default:
		http.Error(w, "queue full", http.StatusInternalServerError)
		return
	}
	g.asyncCalls.Add(1)
	w.WriteHeader(http.StatusAccepted)
}

// queuedSize is the size of the message the gateway queues for c: the
// request JSON-encoded with its headers, the body in base64.
func (c *asyncCall) queuedSize(r *http.Request) int64 {
	b, _ := json.Marshal(struct {
		Header      http.Header
		Host        string
		Body        []byte
		Method      string
		Path        string
		QueryString string
		Function    string
		CallbackURL string `json:"CallbackUrl"`
	}{c.header, r.Host, c.body, r.Method, c.path, c.query, c.fn.name, r.Header.Get("X-Callback-Url")})
	return int64(len(b))
}

// queueWorker runs queued calls one at a time until the gateway closes.
func (g *OpenFaaS) queueWorker() {
	defer g.work.Done()
	for {
		select {
		case <-g.done:
			return
		case c := <-g.queue:
			g.run(c)
		}
	}
}

// run calls the function and posts its answer to the callback URL, if
// any. A call that fails reaches the callback with X-Function-Status 503
// and no body, as the queue-worker posts it.
func (g *OpenFaaS) run(c *asyncCall) {
	ctx, cancel := context.WithTimeout(context.Background(), g.opts.AckWait)
	defer cancel()
	start := time.Now()
	res, err := c.fn.call(ctx, http.MethodPost, c.path, c.query, c.header, bytes.NewReader(c.body))
	if err != nil {
		res = &answer{status: http.StatusServiceUnavailable, header: http.Header{
			"X-Duration-Seconds": {fmt.Sprintf("%f", time.Since(start).Seconds())}}}
	}
	if c.callback == nil {
		return
	}
	if g.opts.DropCallback != nil && g.opts.DropCallback(c.callID) {
		g.dropped.Add(1)
		return
	}
	if err := postResult(ctx, g.cb, c, res); err != nil {
		g.callbackErrors.Add(1)
		return
	}
	g.callbacks.Add(1)
}

// postResult posts a function's answer to the call's callback URL with the
// answer's headers, X-Function-Status and X-Call-Id.
func postResult(ctx context.Context, client *http.Client, c *asyncCall, res *answer) error {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, c.callback.String(), bytes.NewReader(res.body))
	if err != nil {
		return err
	}
	for k, v := range res.header {
		req.Header[k] = v
	}
	req.Header.Del("Content-Length")
	req.Header.Set("X-Function-Status", strconv.Itoa(res.status))
	if c.callID != "" {
		req.Header.Set("X-Call-Id", c.callID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("callback answered %s", resp.Status)
	}
	return nil
}
