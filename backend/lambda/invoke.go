package lambda

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

type result struct {
	act *driver.Activation
	err error
}

// Invoke runs one attempt as a synchronous invocation. Over endpoints it
// waits for a free one in rotation, and sends the attempt to another when
// the endpoint refuses the connection (the request was never sent), taking
// that one out of rotation. When the caller gives up first, the endpoint
// stays busy until its invocation ends, since an emulator that gets a
// second invoke while one runs loses both.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if len(inv.Payload) > maxPayload {
		return nil, payloadTooLarge(len(inv.Payload))
	}
	sent := rotation.NewSent(inv)
	defer sent.GiveUp()
	if d.rot == nil {
		r := d.invoke(sent.Trace(ctx), d.clients[0], inv.Payload)
		return r.act, r.err
	}
	for {
		i, err := d.rot.Take(ctx)
		if err != nil {
			return nil, err
		}
		select {
		case d.gates[i] <- struct{}{}:
		case <-ctx.Done():
			d.rot.Put(i)
			return nil, ctx.Err()
		}
		r, ok := d.invokeAt(ctx, i, sent, inv.Payload)
		if !ok {
			return nil, ctx.Err()
		}
		if errorCode(r.err) != driver.Unreachable {
			return r.act, r.err
		}
		d.rot.Fail(i, r.err)
	}
}

// invokeAt runs the invocation on endpoint i, whose slot and gate the
// caller holds, in a goroutine that frees them when the invocation ends
// (at most d.hold later). ok is false when ctx was done first.
func (d *Driver) invokeAt(ctx context.Context, i int, sent *rotation.Sent, payload []byte) (r result, ok bool) {
	done := make(chan result, 1)
	go func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.hold)
		r := d.invoke(sent.Trace(hctx), d.clients[i], payload)
		cancel()
		<-d.gates[i]
		d.rot.Put(i)
		done <- r
	}()
	select {
	case r := <-done:
		return r, true
	case <-ctx.Done():
		return result{}, false
	}
}

// invoke makes one Invoke call and turns its answer into an Activation or
// a classified error.
func (d *Driver) invoke(ctx context.Context, c *lambda.Client, payload []byte) result {
	var body []byte
	ctx = context.WithValue(ctx, errorBodyKey{}, &body)
	start := time.Now()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(d.opts.Function),
		InvocationType: types.InvocationTypeRequestResponse,
		LogType:        types.LogTypeTail,
		Payload:        payload,
	})
	elapsed := time.Since(start)
	if err != nil {
		return result{err: d.classify(err, body)}
	}
	logs := decodeTail(aws.ToString(out.LogResult))
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	flag := aws.ToString(out.FunctionError)
	if flag != "" || !isEnvelope(out.Payload) {
		e := failedFunction(flag, out.Payload)
		e.Billed, _, _ = reportOf(logs)
		e.RequestID, e.Logs = id, tailLines(logs)
		return result{err: e}
	}
	act := &driver.Activation{ID: id, Payload: out.Payload, Logs: tailLines(logs)}
	var ok bool
	if act.Billed, act.MemoryMB, ok = reportOf(logs); !ok {
		act.Billed, act.MemoryMB = billedFallback(elapsed), d.opts.memoryMB()
	}
	return result{act: act}
}
