package openwhisk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Platform is what a deployment says about itself before a job runs, as
// overcast doctor reports it.
type Platform struct {
	// Limits are the namespace's limits.
	Limits Limits
	// MaxParams is Limits.MaxParameterSize in bytes, 0 when unknown.
	MaxParams int
	// Host are the limits GET / on the API host lists (min and max action
	// memory in bytes, durations in ms, ...); nil when it lists none.
	Host map[string]int64
	// GoKinds are the deployment's go kinds, "(deprecated)" marked; nil
	// when it does not list its runtimes.
	GoKinds []string
	// Kind and ExecEnv are what deploy would use, Why how it chose them;
	// KindErr is set instead when it could not choose.
	Kind, ExecEnv, Why string
	KindErr            error
	// Invokers counts the invokers GET /invokers reports "up", and
	// InvokersSeen all it reports; -1 when it cannot be read.
	Invokers, InvokersSeen int
	// Action is the deployed action, nil when there is none.
	Action *Action
	// ActionName is the action's name.
	ActionName string
}

// Platform reads the namespace's limits, GET / on the API host, the
// invokers' health, the kind deploy would choose and the deployed action.
// Only the limits must be readable; what else fails is left out.
func (d *Driver) Platform(ctx context.Context) (*Platform, error) {
	lim, err := d.c.Limits(ctx)
	if err != nil {
		return nil, err
	}
	p := &Platform{Limits: *lim, MaxParams: lim.maxParams(), ActionName: d.opts.Action, Invokers: -1, InvokersSeen: -1}
	p.Host = d.hostLimits(ctx)
	if k, err := d.chooseKind(ctx); err != nil {
		p.KindErr = err
	} else {
		p.Kind, p.ExecEnv, p.Why = k.name, k.execEnv, k.why
	}
	if rs, err := d.c.Runtimes(ctx); err == nil {
		if p.GoKinds = strings.Split(goKindList(rs), ", "); len(rs["go"]) == 0 {
			p.GoKinds = []string{}
		}
	}
	p.Invokers, p.InvokersSeen = d.invokers(ctx)
	a, err := d.c.GetAction(ctx, d.opts.Action)
	switch {
	case err == nil:
		p.Action = a
	case errorCode(err) == driver.NotFound:
	default:
		return nil, fmt.Errorf("read action %s: %w", d.opts.Action, err)
	}
	return p, nil
}

// MemoryMB returns the action memory deploy uses.
func (d *Driver) MemoryMB() int { return d.opts.MemoryMB }

// rootURL returns the API host's address of path (the API path cut).
func (c *Client) rootURL(path string) *url.URL {
	u := *c.base
	if i := strings.LastIndex(u.Path, "/api/"); i >= 0 {
		u.Path = u.Path[:i]
	}
	u.Path += path
	u.RawQuery = ""
	return &u
}

// hostLimits returns the "limits" of GET / on the API host, nil when it
// cannot be read.
func (d *Driver) hostLimits(ctx context.Context) map[string]int64 {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	r, err := d.c.send(ctx, "GET", d.c.rootURL("/"), nil, maxInfoBody)
	if err != nil || r.status != 200 {
		return nil
	}
	var info struct {
		Limits map[string]json.Number `json:"limits"`
	}
	if json.Unmarshal(r.body, &info) != nil || len(info.Limits) == 0 {
		return nil
	}
	out := map[string]int64{}
	for k, v := range info.Limits {
		if n, err := v.Int64(); err == nil {
			out[k] = n
		}
	}
	return out
}

// invokers reads GET /invokers on the API host, which a controller answers
// with each invoker's health ({"invoker0/owdev-invoker-0": "up", ...}):
// how many are up and how many it lists, or -1 and -1.
func (d *Driver) invokers(ctx context.Context) (up, seen int) {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	r, err := d.c.send(ctx, "GET", d.c.rootURL("/invokers"), nil, maxInfoBody)
	if err != nil || r.status != 200 {
		return -1, -1
	}
	var health map[string]string
	if json.Unmarshal(r.body, &health) != nil {
		return -1, -1
	}
	for _, state := range health {
		if state == "up" {
			up++
		}
	}
	return up, len(health)
}
