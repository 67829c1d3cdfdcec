// Package openwhisk runs tasks as activations of one Apache OpenWhisk
// action: on a deployment of one's own, IBM Cloud Functions, Adobe I/O
// Runtime, DigitalOcean Functions, or `overcast sim`. The action's code is
// the overcast binary itself (package deploy), which serves tasks in its
// actionloop worker mode.
//
// Open it as "openwhisk://?action=overcast&collect=list&deploy=true". Where
// and as whom come from the wsk configuration chain: ~/.wskprops (or the
// file WSK_CONFIG_FILE names), then WHISK_APIHOST, WHISK_AUTH and
// WHISK_NAMESPACE, then the URL's apihost and namespace settings. The auth
// key never travels in a URL and never appears in an error.
//
// Or open it with typed options, which override the chain where set and
// hold nothing process-wide, so that drivers of several deployments or
// namespaces work side by side in one process:
//
//	d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: openwhisk.Config{
//		APIHost: "https://openwhisk.example.com", Auth: key, Namespace: "team-a"}})
//	ex := overcast.NewExecutorFor(backend.New("openwhisk", d), nil)
//
// A command line that takes credentials as flags passes them the same way,
// with the URL: backend.OpenWith(ctx, url, opener), where opener sets
// Options.Config.Auth on what ParseURL returns and calls Open.
//
// Settings: apihost, namespace, insecure (skip TLS verification), action
// (default "overcast"), kind (go:1.NN or blackbox; default the
// deployment's default go kind), execenv (the exec.env content, overriding
// the kind's), image
// (blackbox image), memory (MB, default 256), timeout (the action's time
// limit, default 60s), collect (list, poll or blocking), deploy (deploy the
// worker at open), arch (amd64 or arm64).
//
// Errors carry the backend codes: 429 is ResourceExhausted, 5xx
// Unavailable, connection failures Unreachable, 401/403 PermissionDenied, a missing
// action NotFound, an activation whose worker died without answering (crash,
// out of memory) Crashed, one that hit the action's time limit TaskFailed,
// and one whose record never appears Lost.
package openwhisk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
)

func init() {
	backend.Register("openwhisk", func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		opts, err := ParseURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, opts)
	})
}

// Collection modes.
const (
	CollectList     = "list"
	CollectPoll     = "poll"
	CollectBlocking = "blocking"
)

// Options configure the driver. The zero value is sensible.
type Options struct {
	// Config overrides the configuration chain where its fields are set.
	Config Config
	// Action is the action's name; default "overcast".
	Action string
	// Kind is the runtime kind: go:1.NN or blackbox. Empty means the
	// deployment's default go kind, else its newest one, as GET / on the
	// API host lists them (DefaultKind when that cannot be read).
	Kind string
	// ExecEnv overrides the exec.env content the kind implies: its image's
	// OW_EXECUTION_ENV, "openwhisk/" and the image's repository name
	// (openwhisk/action-golang-v1.NN).
	ExecEnv string
	// Image is the blackbox kind's image; default openwhisk/dockerskeleton.
	Image string
	// MemoryMB and Timeout are the action's limits; default 256 MB and 60 s.
	MemoryMB int
	Timeout  time.Duration
	// Collect is how results come back; default DefaultCollect.
	Collect string
	// Deploy deploys the worker when the driver opens.
	Deploy bool
	// GOARCH is the worker's architecture; default amd64.
	GOARCH string
	// Worker is the path of a linux executable to deploy as the worker,
	// built apart (CGO_ENABLED=0) from a program that serves the same
	// tasks; empty means the running program itself, or a build of it
	// (see deploy.WorkerBinary).
	Worker string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// MaxPayload is the invoke payload limit; default the namespace's
	// maxParameterSize where the limits report it, else 1 MB.
	MaxPayload int
	// StorageCredentials deploys the action with the driver's AWS
	// credentials (the usual chain) as init parameters, so that its
	// workers reach S3 storage. Anyone holding the namespace's key can
	// read them back.
	StorageCredentials bool
}

// DefaultCollect is the collection mode unless told otherwise: listing
// needs the fewest requests and holds no connection per activation, where
// blocking invokes hold one each (compare them with
// "overcast bench fanout --collect MODE").
const DefaultCollect = CollectList

// ParseURL reads the settings of an "openwhisk://?..." URL.
func ParseURL(u *url.URL) (*Options, error) {
	if u.Host != "" || strings.Trim(u.Path, "/") != "" || u.User != nil {
		return nil, errors.New("openwhisk takes its settings in the query (openwhisk://?apihost=...), not a host or path")
	}
	o := &Options{}
	for k, vs := range u.Query() {
		v := vs[0]
		var err error
		switch k {
		case "apihost":
			o.Config.APIHost = v
		case "namespace":
			o.Config.Namespace = v
		case "insecure":
			o.Config.Insecure, err = strconv.ParseBool(v)
		case "action":
			o.Action = v
		case "kind":
			o.Kind = v
		case "execenv":
			o.ExecEnv = v
		case "image":
			o.Image = v
		case "memory":
			o.MemoryMB, err = strconv.Atoi(v)
		case "timeout":
			o.Timeout, err = time.ParseDuration(v)
		case "collect":
			o.Collect = v
		case "deploy":
			o.Deploy, err = strconv.ParseBool(v)
		case "arch":
			o.GOARCH = v
		case "storage_credentials":
			o.StorageCredentials, err = strconv.ParseBool(v)
		case "auth", "key", "apikey":
			return nil, fmt.Errorf("credentials must not travel in the URL (%s); use AUTH in ~/.wskprops, WHISK_AUTH or --auth", k)
		default:
			return nil, fmt.Errorf("unknown setting %q (known: apihost, namespace, insecure, action, kind, execenv, image, memory, timeout, collect, deploy, arch, storage_credentials)", k)
		}
		if err != nil {
			return nil, fmt.Errorf("bad %s %q", k, v)
		}
	}
	return o, nil
}

func (o *Options) resolve() error {
	if o.Action == "" {
		o.Action = "overcast"
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 256
	}
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	if o.Collect == "" {
		o.Collect = DefaultCollect
	}
	if o.GOARCH == "" {
		o.GOARCH = "amd64"
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	switch {
	case o.MemoryMB < 0:
		return fmt.Errorf("memory must be positive, got %d", o.MemoryMB)
	case o.Timeout < 100*time.Millisecond:
		return fmt.Errorf("timeout must be at least 100ms, got %v", o.Timeout)
	case o.Collect != CollectList && o.Collect != CollectPoll && o.Collect != CollectBlocking:
		return fmt.Errorf("collect must be list, poll or blocking, got %q", o.Collect)
	}
	return checkKind(o.Kind, o.ExecEnv, o.Image)
}

// Driver is the OpenWhisk backend's driver.
type Driver struct {
	c        *Client
	opts     Options
	capacity int
	memoryMB int
	// maxPayload is the invoke payload limit: Options.MaxPayload, else the
	// namespace's maxParameterSize, else 1 MB.
	maxPayload int
	// perMinute is the namespace's invocations a minute, zero when its
	// limits leave it out (driver.Paced).
	perMinute int
	// lastLimits is the last "limits" annotation decoded (limitsMemory).
	lastLimits atomic.Pointer[decodedLimits]
	coll       *collector
	obs        observer
	pollGETs   chan struct{}
	invokeReqs chan struct{}

	deployMu sync.Mutex
	deployed *driver.DeployInfo
	// buildArchive makes the action's archive; nil means archive.
	buildArchive func(ctx context.Context, k *kind) ([]byte, string, error)
}

// PayloadLimit returns the invoke payload limit, which OpenWhisk applies
// to results as well (driver.PayloadLimiter).
func (d *Driver) PayloadLimit() int { return d.maxPayload }

// defaultConcurrent is the concurrency limit assumed when the limits
// endpoint leaves it out (OpenWhisk's documented default); maxCapacity
// caps the driver's capacity.
const (
	defaultConcurrent = 100
	maxCapacity       = 10000
)

// Open connects to OpenWhisk, reads the namespace's limits and, when asked,
// deploys the worker.
func Open(ctx context.Context, opts *Options) (*Driver, error) {
	o := *opts
	if err := o.resolve(); err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(o.Getenv)
	if err != nil {
		return nil, err
	}
	cfg.override(&o.Config)
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	lim, err := c.Limits(ctx)
	if err != nil {
		c.Close()
		return nil, apiHostHint(err)
	}
	d := &Driver{c: c, opts: o, memoryMB: o.MemoryMB, maxPayload: o.MaxPayload, pollGETs: make(chan struct{}, maxPollGETs),
		invokeReqs: make(chan struct{}, maxInvokeRequests)}
	if d.maxPayload == 0 {
		d.maxPayload = 1 << 20
	}
	d.applyLimits(lim)
	if o.Collect == CollectList {
		d.coll = newCollector(c, o.Action, &d.obs)
	}
	if o.Deploy {
		if _, err := d.Deploy(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// applyLimits sets the driver's bounds from the namespace's limits. A
// per-minute limit left out is not paced until a 429 names it: assuming
// the documented 120 would hold back deployments that allow thousands,
// and one throttle teaches the real number.
func (d *Driver) applyLimits(l *Limits) {
	conc, perMin := l.ConcurrentInvocations, l.InvocationsPerMinute
	if conc <= 0 {
		conc = defaultConcurrent
	}
	if n := l.maxParams(); n > 0 && d.opts.MaxPayload == 0 {
		d.maxPayload = n
	}
	d.capacity = min(conc, maxCapacity)
	d.perMinute = max(perMin, 0)
}

// InvocationsPerMinute returns the namespace's limit on invocations a
// minute, zero when its limits leave it out (driver.Paced): the portable
// backend paces invocations to it.
func (d *Driver) InvocationsPerMinute() int { return d.perMinute }

// Capacity returns the namespace's concurrent activation limit (at most 10,000).
func (d *Driver) Capacity() int { return d.capacity }

// ErrorCode classifies the driver's errors.
func (d *Driver) ErrorCode(err error) driver.ErrorCode { return errorCode(err) }

// Close stops the collector and releases connections.
func (d *Driver) Close() error {
	if d.coll != nil {
		d.coll.close()
	}
	d.c.Close()
	return nil
}
