package openwhisk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// Invoke runs one attempt as one activation and waits for its record.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if n := len(inv.Payload); n > d.maxPayload {
		return nil, fmt.Errorf("task %d's input is %.2f MB, over OpenWhisk's %.2f MB payload limit; pass big inputs through object storage and send their keys: %w",
			inv.Index, float64(n)/1e6, float64(d.maxPayload)/1e6, errTooLarge)
	}
	submitted := time.Now()
	id, rec, err := d.invoke(ctx, inv.Payload)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		if inv.Dispatched != nil {
			inv.Dispatched(id)
		}
		lostAt := d.lostAt(inv, submitted)
		if d.coll != nil {
			rec, err = d.coll.await(ctx, id, submitted, lostAt)
		} else {
			rec, err = d.poll(ctx, id, submitted, lostAt)
		}
		if err != nil {
			return nil, err
		}
	}
	return d.activation(ctx, rec)
}

// maxInvokeRequests bounds the invoke requests in flight (not the
// activations): a burst of thousands of simultaneous requests would open a
// connection each, and opening and closing them costs more than queueing
// behind a few hundred kept-alive ones.
const maxInvokeRequests = 1024

// invoke sends one invoke request, at most maxInvokeRequests at a time. A
// blocking invoke waits for its activation, so it is not bounded here: the
// window bounds it.
func (d *Driver) invoke(ctx context.Context, payload []byte) (string, *Activation, error) {
	blocking := d.opts.Collect == CollectBlocking
	if !blocking {
		select {
		case d.invokeReqs <- struct{}{}:
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
		defer func() { <-d.invokeReqs }()
	}
	return d.c.Invoke(ctx, d.opts.Action, payload, blocking)
}

// lostAt is when an activation that has not appeared is presumed lost: the
// invocation's deadline, or the action's time limit plus a margin for
// queueing and recording.
func (d *Driver) lostAt(inv *driver.Invocation, submitted time.Time) time.Time {
	if !inv.Deadline.IsZero() {
		return inv.Deadline
	}
	margin := min(max(2*time.Second, d.opts.Timeout), 30*time.Second)
	return submitted.Add(d.opts.Timeout + margin)
}

// poll asks for an activation by id with backoff until it is recorded or
// presumed lost.
func (d *Driver) poll(ctx context.Context, id string, submitted, lostAt time.Time) (*Activation, error) {
	delay := 50 * time.Millisecond
	for {
		sent := time.Now()
		rec, err := d.getBounded(ctx, id)
		if ctx.Err() == nil {
			d.obs.request(sent, err)
		}
		if err == nil {
			return rec, nil
		}
		if c := errorCode(err); c != driver.NotFound && c != driver.Unavailable && c != driver.ResourceExhausted && c != driver.Unreachable {
			return nil, err
		}
		now := time.Now()
		if !now.Before(lostAt) {
			return nil, lost(id, submitted)
		}
		if !ctxtime.Sleep(ctx, min(delay, lostAt.Sub(now))) {
			return nil, ctx.Err()
		}
		delay = min(delay*3/2, 2*time.Second)
	}
}

// Fetch returns the finished activation id, for a resumed job collecting
// what finished while its driver was away (driver.Fetcher). An activation
// not (yet) stored is an error with code NotFound.
func (d *Driver) Fetch(ctx context.Context, id string) (*driver.Activation, error) {
	rec, err := d.getBounded(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.activation(ctx, rec)
}

// maxPollGETs bounds the by-id requests in flight in poll mode, so that
// thousands of waiting activations do not open thousands of connections.
const maxPollGETs = 256

func (d *Driver) getBounded(ctx context.Context, id string) (*Activation, error) {
	select {
	case d.pollGETs <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.pollGETs }()
	return d.c.GetActivation(ctx, id)
}

// activation turns an activation record into the driver's Activation, or
// into an error when the platform failed it without a worker response
// (quoting the end of its logs when the action crashed or timed out).
func (d *Driver) activation(ctx context.Context, rec *Activation) (*driver.Activation, error) {
	res := rec.Response
	if res == nil {
		return nil, &TaskError{ActivationID: rec.ActivationID, Status: "no response", Message: "the activation record has no response"}
	}
	if _, err := worker.DecodeResponse(res.Result); err == nil {
		return d.record(rec), nil
	}
	te := &TaskError{ActivationID: rec.ActivationID, Status: res.Status, Message: platformMessage(res.Result)}
	switch {
	case res.Status == "whisk internal error":
		te.Code = driver.Unavailable
	case annotation(rec.Annotations, "timeout") == "true":
		te.Message = fmt.Sprintf("the action ran past its time limit (%v): %s", d.opts.Timeout, te.Message)
		te.Duration = time.Duration(rec.Duration) * time.Millisecond
	default: // the process died without answering: a crash, an out-of-memory kill
		te.Code = driver.Crashed
		te.Duration = time.Duration(rec.Duration) * time.Millisecond
	}
	if te.Code != driver.Unavailable {
		d.addLogs(ctx, te)
	}
	return nil, te
}

// platformMessage is the "error" of a result the worker did not write.
func platformMessage(result json.RawMessage) string {
	var r struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(result, &r) == nil && r.Error != "" {
		return r.Error
	}
	if len(result) > 200 {
		return string(result[:200]) + "..."
	}
	if len(result) == 0 {
		return "no result"
	}
	return string(result)
}

// record copies an activation's timing into the driver's Activation.
func (d *Driver) record(rec *Activation) *driver.Activation {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	act := &driver.Activation{ID: rec.ActivationID, Payload: rec.Response.Result,
		Wait: ms(annotationInt(rec.Annotations, "waitTime")), Init: ms(annotationInt(rec.Annotations, "initTime")),
		Billed: ms(rec.Duration), MemoryMB: d.memoryMB}
	if rec.Start > 0 {
		act.Start = time.UnixMilli(rec.Start)
	}
	if rec.End > 0 {
		act.End = time.UnixMilli(rec.End)
	}
	if mb := d.limitsMemory(annotation(rec.Annotations, "limits")); mb > 0 {
		act.MemoryMB = mb
	}
	return act
}

// limitsMemory is the memory of an activation's "limits" annotation, 0
// when it has none. The activations of one action share their limits: the
// last one decoded is kept, so that thousands of records decode it once.
func (d *Driver) limitsMemory(raw string) int {
	if raw == "" {
		return 0
	}
	if c := d.lastLimits.Load(); c != nil && c.raw == raw {
		return c.memoryMB
	}
	var lim ActionLimits
	if json.Unmarshal([]byte(raw), &lim) != nil {
		return 0
	}
	d.lastLimits.Store(&decodedLimits{raw: raw, memoryMB: lim.Memory})
	return lim.Memory
}

// decodedLimits is a "limits" annotation and the memory it gives.
type decodedLimits struct {
	raw      string
	memoryMB int
}
