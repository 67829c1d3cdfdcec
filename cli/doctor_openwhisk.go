package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/overcast-sc/overcast/backend/openwhisk"
	owchart "github.com/overcast-sc/overcast/deploy/openwhisk"
)

// unlimitedPerMinute is the per-minute limit a deployment reports when it
// has none (2^31-1, as overcast sim does).
const unlimitedPerMinute = 1<<31 - 1

// owPlatform is what doctor asks of the OpenWhisk driver.
type owPlatform interface {
	Platform(ctx context.Context) (*openwhisk.Platform, error)
	MemoryMB() int
	PayloadLimit() int
	Capacity() int
}

// doctorOpenWhisk gathers the report of an OpenWhisk deployment.
func doctorOpenWhisk(ctx context.Context, f *doctorFlags) (*doctorReport, error) {
	var values *owchart.Values
	if len(f.helmValues) > 0 {
		v, err := owchart.Read(f.helmValues...)
		if err != nil {
			return nil, usagef("--helm-values: %v", err)
		}
		values = v
	}
	raw, err := f.backends.url("openwhisk")
	if err != nil {
		return nil, err
	}
	raw, err = blockingURL(raw)
	if err != nil {
		return nil, err
	}
	b, err := f.backends.openURL(ctx, raw) // with --auth, which no URL carries
	if err != nil {
		return nil, err
	}
	defer b.Close()
	d, ok := b.Driver().(owPlatform)
	if !ok {
		return nil, errors.New("the openwhisk backend does not describe its platform")
	}
	p, err := d.Platform(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the deployment: %w", err)
	}
	r := &doctorReport{Backend: "openwhisk", TaskSeconds: f.taskSeconds, Kinds: p.GoKinds, Kind: p.Kind, ExecEnv: p.ExecEnv,
		KindWhy: p.Why, PayloadLimitBytes: d.PayloadLimit(), DriverCapacity: d.Capacity(), Notes: []string{}}
	owLimits(r, p, d.MemoryMB())
	chart := owCapacity(r, p, values)
	if p.KindErr != nil {
		r.note("deploy cannot choose a kind: %s", oneLine(p.KindErr.Error()))
	}
	switch {
	case p.Action == nil:
		r.note("the worker is not deployed (action %s): run overcast deploy --backend openwhisk, then doctor again for cold and warm latency", p.ActionName)
	case f.noInvoke:
	default:
		if err := latency(ctx, b, r); err != nil {
			return nil, err
		}
	}
	r.decide(f.target, chart)
	return r, nil
}

// blockingURL makes doctor's invokes blocking unless --collect says
// otherwise: a round trip is then the platform's, with no listing delay.
func blockingURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Query().Get("collect") != "" {
		return raw, nil
	}
	if !strings.Contains(raw, "?") {
		raw += "?"
	}
	return raw + "&collect=" + openwhisk.CollectBlocking, nil
}

// owLimits fills the namespace's limits and the action's.
func owLimits(r *doctorReport, p *openwhisk.Platform, memoryMB int) {
	r.ConcurrentLimit = p.Limits.ConcurrentInvocations
	if r.ConcurrentLimit <= 0 {
		r.ConcurrentLimit = 100
		r.note("the namespace's limits leave out concurrentInvocations: assumed OpenWhisk's documented 100")
	}
	if pm := p.Limits.InvocationsPerMinute; pm > 0 && pm < unlimitedPerMinute {
		r.PerMinute = pm
	}
	r.ActionMemoryMB, r.ActionTimeoutSeconds = memoryMB, 60
	if a := p.Action; a != nil {
		r.Deployed = true
		if a.Limits != nil {
			r.ActionMemoryMB, r.ActionTimeoutSeconds = a.Limits.Memory, float64(a.Limits.Timeout)/1000
		}
	}
	if h := p.Host; h != nil {
		if lo, hi, ok := pair(h, "min_action_memory", "max_action_memory"); ok {
			r.MemoryLimitsMB = []int{int(lo >> 20), int(hi >> 20)}
		}
		if lo, hi, ok := pair(h, "min_action_duration", "max_action_duration"); ok {
			r.TimeLimitsSeconds = []float64{float64(lo) / 1000, float64(hi) / 1000}
		}
	}
}

func pair(m map[string]int64, lo, hi string) (int64, int64, bool) {
	a, ok1 := m[lo]
	b, ok2 := m[hi]
	return a, b, ok1 && ok2
}

// owCapacity counts the invokers' room for the action: the invokers up
// (GET /invokers, else the values' replicas) × userMemory / action
// memory, when --helm-values gives userMemory. It checks the values
// against what the controller reports.
func owCapacity(r *doctorReport, p *openwhisk.Platform, v *owchart.Values) chartState {
	s := chartState{MemoryMB: r.ActionMemoryMB}
	if p.Invokers >= 0 {
		r.Invokers = p.Invokers
		if p.Invokers < p.InvokersSeen {
			r.note("%d of %d invokers are up", p.Invokers, p.InvokersSeen)
		}
	}
	if v == nil {
		r.note("the invokers' room (replicas x userMemory / action memory) is not in the API: pass --helm-values with the values the cluster was installed with to count it")
		s.Invokers = r.Invokers
		return s
	}
	if r.Invokers == 0 {
		r.Invokers = v.Invokers
	}
	s.Invokers, s.UserMemoryMB = r.Invokers, v.UserMemoryMB
	if r.ActionMemoryMB > 0 {
		r.InvokerSlots = r.Invokers * (v.UserMemoryMB / r.ActionMemoryMB)
	}
	var differ []string
	if v.Concurrent != r.ConcurrentLimit {
		differ = append(differ, fmt.Sprintf("concurrent %d (values %d)", r.ConcurrentLimit, v.Concurrent))
	}
	if v.PerMinute != p.Limits.InvocationsPerMinute {
		differ = append(differ, fmt.Sprintf("per minute %d (values %d)", p.Limits.InvocationsPerMinute, v.PerMinute))
	}
	if v.Invokers > 0 && p.Invokers >= 0 && v.Invokers != p.InvokersSeen {
		differ = append(differ, fmt.Sprintf("%d invokers (values %d)", p.InvokersSeen, v.Invokers))
	}
	if len(differ) > 0 {
		r.note("the deployment reports %s: it was not installed (or upgraded) with these values", strings.Join(differ, ", "))
	}
	return s
}
