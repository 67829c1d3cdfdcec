package sim

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"
	"github.com/overcast-sc/overcast/internal/owproxy"
)

// processPool runs an action's activations in real processes of its exec,
// one activation at a time per process, keeping idle processes warm.
type processPool struct {
	s      *Server
	a      *action
	dir    string // the unpacked zip
	mu     sync.Mutex
	idle   []*container
	live   int // containers started and not yet killed
	closed bool
}

func newProcessPool(s *Server, a *action, dir string) *processPool {
	return &processPool{s: s, a: a, dir: dir}
}

// env is a container's whole environment: __OW_ variables and the
// action's init parameters, which a controller hands the container in
// /init's env.
func (p *processPool) env() []string {
	ns := p.s.opts.Namespace
	return append([]string{
		"__OW_API_HOST=" + p.s.APIHost(),
		"__OW_NAMESPACE=" + ns,
		"__OW_ACTION_NAME=/" + ns + "/" + p.a.name,
		"__OW_ACTION_VERSION=" + p.a.version,
		"__OW_WAIT_FOR_ACK=1",
	}, p.a.initEnv...)
}

// acquire returns an idle container or starts one (cold).
func (p *processPool) acquire(timeout time.Duration) (c *container, cold bool, err error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c = p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, false, nil
	}
	p.live++
	p.mu.Unlock()
	p.s.stats.coldStarts.Add(1)
	c, err = startContainer(p.dir, p.s.tmp, p.env(), timeout)
	if err != nil {
		p.s.opts.Logf("sim: action %s: container start: %v", p.a.name, err)
	}
	return c, true, err
}

// release keeps c warm, or kills it when broken or the pool is closed.
func (p *processPool) release(c *container, broken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !broken && !p.closed {
		p.idle = append(p.idle, c)
		return
	}
	if c != nil {
		c.kill()
	}
	p.live--
	if p.closed && p.live == 0 {
		go os.RemoveAll(p.dir)
	}
}

// close kills the idle containers; busy ones die when released.
func (p *processPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.idle {
		c.kill()
		p.live--
	}
	p.idle = nil
	if p.live == 0 {
		go os.RemoveAll(p.dir)
	}
}

func (p *processPool) run(ctx context.Context, j *job) outcome {
	o := outcome{start: time.Now()}
	timeout := time.Duration(p.a.limits.Timeout) * time.Millisecond
	c, cold, err := p.acquire(timeout)
	if cold {
		o.cold = true
		if err == nil {
			ctxtime.Sleep(ctx, p.s.opts.ColdStart)
		}
		o.init = time.Since(o.start)
	}
	if err != nil {
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalInit)
		if c != nil {
			o.logs = c.collectLogs(p.a.limits.Logs << 20)
		}
		p.release(c, true)
		o.end = time.Now()
		return o
	}
	stop := context.AfterFunc(ctx, c.kill)
	broken := p.runIn(ctx, c, j, &o)
	stop()
	o.logs = c.collectLogs(p.a.limits.Logs << 20)
	o.end = time.Now()
	p.release(c, broken)
	return o
}

// runIn runs j in c and reports whether c broke.
func (p *processPool) runIn(ctx context.Context, c *container, j *job, o *outcome) (broken bool) {
	s := p.s
	begin := time.Now()
	deadline := begin.Add(time.Duration(p.a.limits.Timeout) * time.Millisecond)
	body, err := p.runBody(j, deadline)
	if err != nil {
		o.status, o.result = statusInternalError, errorResult(err.Error())
		return false
	}
	if j.fault.crash {
		s.stats.crashes.Add(1)
		c.stdin.SetWriteDeadline(deadline)
		c.stdin.Write(append(body, '\n'))
		c.kill()
		<-c.exited
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalRun)
		return true
	}
	line, size, err := c.interact(body, deadline, s.opts.ResultLimit)
	if err == nil && j.fault.straggler && !straggle(ctx, s, begin, deadline) {
		err = os.ErrDeadlineExceeded
	}
	switch {
	case ctx.Err() != nil:
		o.status, o.result = statusInternalError, errorResult(msgUnavailable)
		return true
	case os.IsTimeout(err):
		o.timeout = true
		o.status, o.result = statusDeveloperError, errorResult(msgTimeout(p.a.limits.Timeout))
		return true
	case errors.Is(err, errDied) || err != nil:
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalRun)
		return true
	case size > s.opts.ResultLimit:
		o.status, o.result = statusApplicationError, errorResult(msgTruncated(size, s.opts.ResultLimit))
		return false
	}
	o.status, o.result = classify(line, s.opts.ResultLimit)
	return o.status == statusDeveloperError
}

// runBody is the /run body the invoker posts for j, as one line
// (encoding/json compacts the parameters).
func (p *processPool) runBody(j *job, deadline time.Time) ([]byte, error) {
	ns := p.s.opts.Namespace
	apiKey := ""
	if string(p.a.annotation("provide-api-key")) == "true" {
		apiKey = p.s.opts.Auth
	}
	return owproxy.RunBody(j.params, owproxy.Activation{Namespace: ns, ActionName: "/" + ns + "/" + p.a.name,
		ActivationID: j.id, TransactionID: newID(), APIKey: apiKey, Deadline: deadline})
}
