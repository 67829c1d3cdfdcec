package cli

import (
	"context"
	"strings"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/lambda"
)

// doctorLambda gathers the report of a Lambda function: the account's
// concurrency (GetAccountSettings, as the driver reads it when it opens),
// Lambda's payload limit, and the function's cold and warm latency.
func doctorLambda(ctx context.Context, f *doctorFlags) (*doctorReport, error) {
	raw, err := f.backends.url("lambda")
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
		r.DriverCapacity = r.ConcurrentLimit
	}
	if p, ok := b.Driver().(driver.PayloadLimiter); ok {
		r.PayloadLimitBytes = p.PayloadLimit()
	}
	binding := bindAccount
	if ld, ok := b.Driver().(interface{ Options() lambda.Options }); ok {
		switch o := ld.Options(); {
		case len(o.Endpoints) > 0:
			binding = bindEndpoints
			r.note("%s at %s: the width is what the driver sends them at once", plural(len(o.Endpoints), "endpoint", "endpoints"), strings.Join(o.Endpoints, ", "))
		case o.Concurrency > 0:
			binding = bindSetting
			r.note("--concurrency sets the width; the account's own limit is not asked")
		default:
			r.note("the account's concurrency (GetAccountSettings) is shared by every function of the account and region; a function's reserved concurrency, when set, bounds it lower")
		}
	}
	if !f.noInvoke {
		if err := latency(ctx, b, r); err != nil {
			if backend.Code(err) != backend.NotFound {
				return nil, err
			}
			r.note("the worker is not deployed: run overcast deploy --backend lambda, then doctor again for cold and warm latency")
		}
	}
	r.decide(0, chartState{})
	r.BindingLimit = binding
	return r, nil
}
