package openwhisk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Action is an action record, as PUT and GET carry it.
type Action struct {
	Namespace   string     `json:"namespace,omitempty"`
	Name        string     `json:"name,omitempty"`
	Version     string     `json:"version,omitempty"`
	Exec        Exec       `json:"exec"`
	Annotations []KeyValue `json:"annotations,omitempty"`
	// Parameters is sent even when empty: a controller keeps an action's
	// old parameters when an update leaves them out.
	Parameters []KeyValue    `json:"parameters"`
	Limits     *ActionLimits `json:"limits,omitempty"`
}

// Exec is an action's code.
type Exec struct {
	Kind   string `json:"kind"`
	Code   string `json:"code,omitempty"`
	Main   string `json:"main,omitempty"`
	Image  string `json:"image,omitempty"`
	Binary bool   `json:"binary,omitempty"`
}

// KeyValue is an annotation or parameter. A parameter with Init set
// reaches the action's container in /init's env, so its process sees it
// as an environment variable, and not its runs' parameters.
type KeyValue struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
	Init  bool            `json:"init,omitempty"`
}

// ActionLimits are an action's limits: timeout in ms, memory and logs in MB.
type ActionLimits struct {
	Timeout     int `json:"timeout,omitempty"`
	Memory      int `json:"memory,omitempty"`
	Logs        int `json:"logs,omitempty"`
	Concurrency int `json:"concurrency,omitempty"`
}

// Annotation returns the string value of an annotation, or "".
func annotation(kvs []KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.Key == key {
			return annotationText(kv.Value)
		}
	}
	return ""
}

// annotationText is a JSON string's text, "" for null, and any other
// value's JSON.
func annotationText(v json.RawMessage) string {
	if len(v) > 0 && v[0] != '"' && !bytes.Equal(v, []byte("null")) {
		return string(v) // a number, bool or object: no decoder, no error built
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func annotationInt(kvs []KeyValue, key string) int64 {
	n, _ := strconv.ParseInt(annotation(kvs, key), 10, 64)
	return n
}

// Activation is an activation record.
type Activation struct {
	ActivationID string     `json:"activationId"`
	Namespace    string     `json:"namespace,omitempty"`
	Name         string     `json:"name,omitempty"`
	Start        int64      `json:"start,omitempty"`
	End          int64      `json:"end,omitempty"`
	Duration     int64      `json:"duration,omitempty"`
	Annotations  []KeyValue `json:"annotations,omitempty"`
	Response     *struct {
		Status  string          `json:"status"`
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result,omitempty"`
	} `json:"response,omitempty"`
}

// Limits are the namespace's limits; zero means the platform default.
type Limits struct {
	ConcurrentInvocations int `json:"concurrentInvocations"`
	InvocationsPerMinute  int `json:"invocationsPerMinute"`
	FiresPerMinute        int `json:"firesPerMinute"`
	// MaxParameterSize is like "1048576 B" or "1 MB" where reported.
	MaxParameterSize string `json:"maxParameterSize"`
}

// maxParams returns MaxParameterSize in bytes, or 0 when absent or unclear.
func (l *Limits) maxParams() int {
	var n float64
	var unit string
	if _, err := fmt.Sscanf(l.MaxParameterSize, "%g %s", &n, &unit); err != nil || n <= 0 {
		return 0
	}
	mult := map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[strings.ToUpper(unit)]
	return int(n * mult)
}

func actionPath(name string) string { return "/actions/" + url.PathEscape(name) }

// PutAction creates or replaces an action.
func (c *Client) PutAction(ctx context.Context, name string, a *Action) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	r, err := c.do(ctx, "PUT", actionPath(name), url.Values{"overwrite": {"true"}}, body, maxActionBody)
	if err != nil {
		return err
	}
	if r.status != 200 && r.status != 201 {
		e := c.apiError("create action "+name, r)
		if r.status == 413 {
			e.Message = fmt.Sprintf("the action's code (%.1f MB in base64) is over the platform's size limit: %s", float64(len(a.Exec.Code))/1e6, e.Message)
		}
		return e
	}
	var done Action
	if json.Unmarshal(r.body, &done) != nil || done.Exec.Kind == "" {
		return c.protocolError("create action "+name, r, "the action's record")
	}
	return nil
}

// GetAction returns an action's record without its code. Without the
// code the record is small: it is bounded like an activation record.
func (c *Client) GetAction(ctx context.Context, name string) (*Action, error) {
	r, err := c.do(ctx, "GET", actionPath(name), url.Values{"code": {"false"}}, nil, maxActivationBody)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, c.apiError("get action "+name, r)
	}
	var a Action
	if err := json.Unmarshal(r.body, &a); err != nil {
		return nil, fmt.Errorf("get action %s: bad answer: %v", name, err)
	}
	return &a, nil
}

// DeleteAction deletes an action.
func (c *Client) DeleteAction(ctx context.Context, name string) error {
	r, err := c.do(ctx, "DELETE", actionPath(name), nil, nil, maxErrorBody)
	if err != nil {
		return err
	}
	if r.status != 200 && r.status != 204 {
		return c.apiError("delete action "+name, r)
	}
	return nil
}

// Invoke invokes an action with params (a JSON object). It returns the
// activation id and, when a blocking call finished in time, the activation
// (also when it failed: 502 carries the failed activation).
func (c *Client) Invoke(ctx context.Context, name string, params []byte, blocking bool) (string, *Activation, error) {
	a := c.invokeURL(name, blocking)
	r, err := c.sendRaw(ctx, "POST", a.path, a.raw, params, maxActivationBody)
	if err != nil {
		return "", nil, err
	}
	if r.status == 202 {
		if id, ok := acceptedID(r.body); ok {
			return id, nil, nil
		}
	}
	op := "invoke action " + name
	id := r.header.Get("x-openwhisk-activation-id")
	switch r.status {
	case 200, 202, 500, 502:
		var a Activation
		if json.Unmarshal(r.body, &a) == nil && a.ActivationID != "" {
			if a.Response != nil {
				return a.ActivationID, &a, nil
			}
			if r.status < 300 {
				return a.ActivationID, nil, nil
			}
		}
		if r.status < 300 && id != "" {
			return id, nil, nil
		}
		if r.status < 300 {
			return "", nil, c.protocolError(op, r, "an activation id")
		}
	}
	e := c.apiError(op, r)
	if r.status == 404 {
		e.Message = fmt.Sprintf("action %s not found; deploy it first (overcast deploy --backend openwhisk)", name)
	}
	if r.status == 413 {
		e.Message = "the invocation's parameters are over the platform's payload limit: " + e.Message
	}
	return "", nil, e
}

// acceptedID reads the id of the platform's usual answer to a non-blocking
// invoke, {"activationId":"ID"}, without a JSON decoder; ok is false for
// any other answer, which the decoder then reads.
func acceptedID(body []byte) (id string, ok bool) {
	const pre, post = `{"activationId":"`, `"}`
	if !bytes.HasPrefix(body, []byte(pre)) || !bytes.HasSuffix(body, []byte(post)) || len(body) <= len(pre)+len(post) {
		return "", false
	}
	v := body[len(pre) : len(body)-len(post)]
	for _, b := range v {
		if b == '"' || b == '\\' || b < 0x20 || b >= 0x80 {
			return "", false
		}
	}
	return string(v), true
}

// GetActivation returns an activation record; an *APIError with code
// NotFound until the platform has stored it.
func (c *Client) GetActivation(ctx context.Context, id string) (*Activation, error) {
	r, err := c.do(ctx, "GET", "/activations/"+url.PathEscape(id), nil, nil, maxActivationBody)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, c.apiError("get activation "+id, r)
	}
	var a Activation
	if err := json.Unmarshal(r.body, &a); err != nil {
		return nil, fmt.Errorf("get activation %s: bad answer: %v", id, err)
	}
	return &a, nil
}

// ListOptions select activations to list.
type ListOptions struct {
	Name        string
	Since, Upto time.Time
	Limit, Skip int
	Docs        bool
}

// ListActivations lists activations, newest first, one page.
func (c *Client) ListActivations(ctx context.Context, o ListOptions) ([]Activation, error) {
	body, err := c.listActivations(ctx, o)
	if err != nil {
		return nil, err
	}
	var list []Activation
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("list activations: bad answer: %v", err)
	}
	return list, nil
}

// listActivations returns one page of the listing as the platform sent it.
func (c *Client) listActivations(ctx context.Context, o ListOptions) ([]byte, error) {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	if !o.Since.IsZero() {
		q.Set("since", itoa(o.Since.UnixMilli()))
	}
	if !o.Upto.IsZero() {
		q.Set("upto", itoa(o.Upto.UnixMilli()))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Skip > 0 {
		q.Set("skip", strconv.Itoa(o.Skip))
	}
	if o.Docs {
		q.Set("docs", "true")
	}
	r, err := c.do(ctx, "GET", "/activations", q, nil, maxListBody)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, c.apiError("list activations", r)
	}
	return r.body, nil
}

// Limits returns the namespace's limits. It always asks about "_", the
// caller's own namespace, as the API wants.
func (c *Client) Limits(ctx context.Context) (*Limits, error) {
	cc := *c
	cc.ns = "_"
	r, err := cc.do(ctx, "GET", "/limits", nil, nil, maxErrorBody)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, c.apiError("get namespace limits", r)
	}
	var l Limits
	if err := json.Unmarshal(r.body, &l); err != nil {
		return nil, c.protocolError("get namespace limits", r, "the limits as JSON")
	}
	return &l, nil
}
