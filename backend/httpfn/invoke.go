package httpfn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

// Invoke posts one attempt to an endpoint in rotation and waits for its
// answer. When the endpoint cannot be reached (the request was not sent)
// it takes the endpoint out of rotation and sends the attempt to another.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if len(inv.Payload) > d.limit {
		return nil, &Error{Code: driver.InvalidArgument, Msg: fmt.Sprintf(
			"task envelope is %d bytes, over the workers' limit of %d; pass large data through object storage", len(inv.Payload), d.limit)}
	}
	for {
		i, err := d.rot.Take(ctx)
		if err != nil {
			return nil, d.scrub(err)
		}
		act, err := d.post(ctx, i, inv)
		if n := workerLimit(err); n > 0 {
			d.rot.Limit(i, n)
		}
		d.rot.Put(i)
		if errorCode(err) != driver.Unreachable {
			return act, d.scrub(err)
		}
		d.rot.Fail(i, d.scrub(err))
	}
}

// workerLimit is the concurrency a worker named in its 429, zero when
// none.
func workerLimit(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Allowed > 0 {
		return e.perWorker
	}
	return 0
}

// post sends inv to endpoint i and reads the answer.
func (d *Driver) post(ctx context.Context, i int, inv *driver.Invocation) (*driver.Activation, error) {
	sent := rotation.NewSent(inv)
	defer sent.GiveUp()
	req, err := http.NewRequestWithContext(sent.Trace(ctx), http.MethodPost, d.invokeURLs[i], bytes.NewReader(inv.Payload))
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := d.creds.signer.sign(req, i); err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, transportError(d.opts.Endpoints[i], err, sent.Wrote())
	}
	defer resp.Body.Close()
	body, err := d.readAnswer(ctx, i, resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, d.statusError(d.opts.Endpoints[i], resp, body)
	}
	if !isEnvelope(body) {
		return nil, &Error{Code: driver.TaskFailed, Status: resp.StatusCode, Msg: fmt.Sprintf(
			"%s answered something other than a task response: %q", d.invokeURLs[i], bodyText(body))}
	}
	return &driver.Activation{ID: resp.Header.Get("X-Request-Id"), Payload: body, Billed: time.Since(start)}, nil
}

// errAnswerTooLarge is the error of an answer over the payload limit.
var errAnswerTooLarge = errors.New("answer too large")

// readAnswer reads an answer's body, up to a little over the payload
// limit: a worker sends no more, and a peer that does must not fill
// memory.
func (d *Driver) readAnswer(ctx context.Context, i int, r io.Reader) ([]byte, error) {
	max := int64(d.limit) + 64<<10
	body, err := io.ReadAll(io.LimitReader(r, max+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, &Error{Code: driver.Lost, Msg: fmt.Sprintf(
			"the answer from %s was cut short; trying again, as tasks are idempotent", d.opts.Endpoints[i]), Err: err}
	case int64(len(body)) > max:
		return nil, &Error{Code: driver.TaskFailed, Msg: fmt.Sprintf(
			"the answer from %s is over %d bytes, past the payload limit", d.opts.Endpoints[i], max), Err: errAnswerTooLarge}
	}
	return body, nil
}

// isEnvelope reports whether body looks like a worker.Response, which
// always starts with its output, the storage key of its output, or its
// error.
func isEnvelope(body []byte) bool {
	s := strings.TrimLeft(string(body[:min(len(body), 20)]), " \t\r\n")
	return strings.HasPrefix(s, `{"output":`) || strings.HasPrefix(s, `{"error":`) || strings.HasPrefix(s, `{"output_key":`)
}
