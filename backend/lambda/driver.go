package lambda

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

// Driver is the lambda backend's driver.
type Driver struct {
	opts *Options
	// clients holds one client per endpoint, or the one client for AWS.
	clients []*lambda.Client
	// rot spreads invocations over endpoints and tracks which answer; nil
	// against AWS, where Lambda bounds concurrency itself.
	rot *rotation.Rotation
	// gates bound invocations in flight per endpoint across all drivers of
	// this process, so a driver opened after another gave up on a call
	// does not send a second invoke to a busy emulator.
	gates    []chan struct{}
	capacity int
	// hold bounds how long an endpoint stays busy with an invocation its
	// caller gave up on.
	hold time.Duration
	// cfg is the AWS configuration; logs the CloudWatch Logs client made
	// from it when logs are first read.
	cfg      aws.Config
	logsOnce sync.Once
	logs     *cloudwatchlogs.Client
}

// Open resolves the AWS configuration and returns a driver of a copy of
// o, its function name and architecture defaulted as ParseURL does.
// Against AWS without a concurrency setting it asks the account's
// concurrency limit, and takes the default when that call is refused.
func Open(ctx context.Context, opts *Options) (*Driver, error) {
	o := new(Options)
	*o = *opts
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	d := &Driver{opts: o, hold: o.timeout() + time.Minute}
	conns := o.Concurrency
	if conns == 0 {
		conns = max(len(o.Endpoints), DefaultConcurrency)
	}
	cfg, hc, err := loadConfig(ctx, o, conns)
	if err != nil {
		return nil, err
	}
	d.cfg = cfg
	if len(o.Endpoints) == 0 {
		d.clients = []*lambda.Client{newClient(cfg, "")}
		d.capacity = o.Concurrency
		if d.capacity == 0 {
			d.capacity = accountConcurrency(ctx, d.clients[0])
		}
		return d, nil
	}
	per := 1
	if o.Concurrency > len(o.Endpoints) {
		per = (o.Concurrency + len(o.Endpoints) - 1) / len(o.Endpoints)
	}
	for _, ep := range o.Endpoints {
		d.clients = append(d.clients, newClient(cfg, ep))
		d.gates = append(d.gates, gate(ep, per))
	}
	d.rot = rotation.New(rotation.Options{URLs: o.Endpoints, PerEndpoint: per,
		Probe: func(ctx context.Context, i int) bool { return answers(ctx, hc, o.Endpoints[i]) },
		Unreachable: func(last error) error {
			return &Error{Code: driver.Unreachable, Msg: "no endpoint answers", Err: last}
		}})
	d.capacity = d.rot.Capacity()
	return d, nil
}

// answers reports whether the endpoint at url answers HTTP at all.
func answers(ctx context.Context, hc aws.HTTPClient, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// accountConcurrency returns the account's concurrent executions limit, or
// DefaultConcurrency when the account settings cannot be read.
func accountConcurrency(ctx context.Context, c *lambda.Client) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || out.AccountLimit == nil || out.AccountLimit.ConcurrentExecutions <= 0 {
		return DefaultConcurrency
	}
	return int(out.AccountLimit.ConcurrentExecutions)
}

// Capacity returns how many invocations the driver serves at once.
func (d *Driver) Capacity() int { return d.capacity }

// PayloadLimit returns Lambda's limit on a synchronous invocation's
// request and answer (driver.PayloadLimiter).
func (d *Driver) PayloadLimit() int { return maxPayload }

// ErrorCode classifies an error returned by Invoke.
func (d *Driver) ErrorCode(err error) driver.ErrorCode { return errorCode(err) }

// Close stops probing endpoints out of rotation; the HTTP transport's idle
// connections close on their own.
func (d *Driver) Close() error {
	if d.rot != nil {
		d.rot.Close()
	}
	return nil
}

// Observe sets the Observer told when an endpoint goes out of rotation
// and when it comes back (driver.Observed).
func (d *Driver) Observe(o driver.Observer) {
	if d.rot != nil {
		d.rot.Observe(o)
	}
}

// Options returns the driver's settings.
func (d *Driver) Options() Options { return *d.opts }

var gates struct {
	sync.Mutex
	m map[string]chan struct{}
}

// gate returns the process-wide semaphore of an endpoint taking per
// invocations at once.
func gate(endpoint string, per int) chan struct{} {
	gates.Lock()
	defer gates.Unlock()
	if gates.m == nil {
		gates.m = make(map[string]chan struct{})
	}
	key := endpoint + "#" + strconv.Itoa(per)
	g, ok := gates.m[key]
	if !ok {
		g = make(chan struct{}, per)
		gates.m[key] = g
	}
	return g
}

var (
	_ driver.Backend    = (*Driver)(nil)
	_ driver.Deployer   = (*Driver)(nil)
	_ driver.LogReader  = (*Driver)(nil)
	_ driver.LogLocator = (*Driver)(nil)
	_ driver.Observed   = (*Driver)(nil)
)
