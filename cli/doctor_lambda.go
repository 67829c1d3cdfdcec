package cli

import (
	"context"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
)

// doctorLambda gathers the report of a Lambda function: the account's
// concurrency (GetAccountSettings, as the driver reads it when it opens),
// Lambda's payload limit, and the function's cold and warm latency.
func doctorLambda(ctx context.Context, f *doctorFlags) (*doctorReport, error) {
	raw, err := backendURL("lambda")
	if err != nil {
		return nil, err
	}
	b, err := backend.Open(ctx, raw)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	r := &doctorReport{Backend: "lambda", TaskSeconds: f.taskSeconds, Kinds: []string{}, Notes: []string{}}
	if c, ok := b.Driver().(interface{ Capacity() int }); ok {
		r.ConcurrentLimit = c.Capacity()
	}
	if p, ok := b.Driver().(driver.PayloadLimiter); ok {
		r.PayloadLimitBytes = p.PayloadLimit()
	}
	r.note("Lambda's account concurrency is shared by every function of the account and region; a function's reserved concurrency, when set, bounds it lower")
	if !f.noInvoke {
		if err := latency(ctx, b, r); err != nil {
			if backend.Code(err) != backend.NotFound {
				return nil, err
			}
			r.note("the worker is not deployed: run overcast deploy --backend lambda, then doctor again for cold and warm latency")
		}
	}
	r.decide(0, chartState{})
	r.BindingLimit = bindAccount
	return r, nil
}
