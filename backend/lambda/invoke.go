package lambda

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/overcast-sc/overcast/backend/driver"
)

type result struct {
	act *driver.Activation
	err error
}

// Invoke runs one attempt as a synchronous invocation. Over endpoints it
// waits for a free one; when the caller gives up first, the endpoint stays
// busy until its invocation ends, since an emulator that gets a second
// invoke while one runs loses both.
func (d *Driver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if len(inv.Payload) > maxPayload {
		return nil, payloadTooLarge(len(inv.Payload))
	}
	if d.slots == nil {
		r := d.invoke(ctx, d.clients[0], inv.Payload)
		return r.act, r.err
	}
	var i int
	select {
	case i = <-d.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case d.gates[i] <- struct{}{}:
	case <-ctx.Done():
		d.slots <- i
		return nil, ctx.Err()
	}
	done := make(chan result, 1)
	go func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.hold)
		r := d.invoke(hctx, d.clients[i], inv.Payload)
		cancel()
		<-d.gates[i]
		d.slots <- i
		done <- r
	}()
	select {
	case r := <-done:
		return r.act, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
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
