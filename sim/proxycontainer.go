package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"
	"github.com/overcast-sc/overcast/internal/owproxy"
)

// proxyPool runs an action's activations in containers that are real
// processes of Apache's Go actionloop proxy, configured as the kind's image
// configures it, and driven as an invoker drives them: /init once with
// the action's code, then one /run at a time.
type proxyPool struct {
	base    processPool // the server, the action, and its /run bodies
	execEnv string
	mu      sync.Mutex
	idle    []*proxyContainer
	closed  bool
}

// proxyContainer is one proxy process with its folder and log files.
type proxyContainer struct {
	proxy *owproxy.Proxy
	dir   string
	logs  container // only its log files and offsets
}

func newProxyPool(s *Server, a *action) (executor, error) {
	env := a.runtime.ExecEnv()
	if env == "" {
		return nil, fmt.Errorf("kind %s: the sim's proxy containers run go kinds only", a.kind)
	}
	return &proxyPool{base: processPool{s: s, a: a}, execEnv: env}, nil
}

func (p *proxyPool) run(ctx context.Context, j *job) outcome {
	o := outcome{start: time.Now()}
	c := p.take()
	if c == nil {
		o.cold = true
		var err error
		c, err = p.start(ctx, j, &o)
		o.init = time.Since(o.start)
		if err != nil {
			o.end = time.Now()
			return o
		}
	}
	broken := p.runIn(ctx, c, j, &o)
	o.logs = c.collectLogs(p.base.a.limits.Logs << 20)
	o.end = time.Now()
	p.release(c, broken)
	return o
}

// take returns an idle container, or nil.
func (p *proxyPool) take() *proxyContainer {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	c := p.idle[n-1]
	p.idle = p.idle[:n-1]
	return c
}

// start starts a container and initializes it with the action's code,
// as the invoker does on a cold start. On failure, o holds the outcome.
func (p *proxyPool) start(ctx context.Context, j *job, o *outcome) (*proxyContainer, error) {
	s, a := p.base.s, p.base.a
	s.stats.coldStarts.Add(1)
	timeout := time.Duration(a.limits.Timeout) * time.Millisecond
	c, err := p.launch(timeout)
	if err != nil {
		s.opts.Logf("sim: action %s: container start: %v", a.name, err)
		o.status, o.result = statusInternalError, errorResult(msgInternal)
		return nil, err
	}
	ctxtime.Sleep(ctx, s.opts.ColdStart)
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	status, answer, err := c.proxy.Init(ictx, owproxy.InitBody(a.name, a.main, a.code, true, p.initEnv(j, time.Now().Add(timeout))))
	if err == nil && status == http.StatusOK {
		return c, nil
	}
	switch {
	case ctx.Err() != nil:
		o.status, o.result = statusInternalError, errorResult(msgUnavailable)
	case ictx.Err() != nil:
		o.timeout = true
		o.status, o.result = statusDeveloperError, errorResult(msgTimeout(a.limits.Timeout))
	case err != nil:
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalInit)
	default:
		o.status, o.result = statusDeveloperError, failureResult(answer, msgAbnormalInit)
		err = fmt.Errorf("init: %d %s", status, bytes.TrimSpace(answer))
	}
	s.opts.Logf("sim: action %s: container init: %v", a.name, err)
	o.logs = c.collectLogs(a.limits.Logs << 20)
	go c.destroy()
	return nil, err
}

// launch starts a proxy process in a folder of its own.
func (p *proxyPool) launch(timeout time.Duration) (*proxyContainer, error) {
	s := p.base.s
	dir, err := os.MkdirTemp(s.tmp, "container-")
	if err != nil {
		return nil, err
	}
	c := &proxyContainer{dir: dir}
	for i := range c.logs.logs {
		if c.logs.logs[i], err = os.CreateTemp(dir, "log-"); err == nil {
			err = reopenAppend(&c.logs.logs[i])
		}
		if err != nil {
			c.destroy()
			return nil, err
		}
	}
	c.proxy, err = owproxy.Start(s.opts.Proxy, owproxy.Config{ExecEnv: p.execEnv, Env: []string{"__OW_API_HOST=" + s.APIHost()},
		Dir: dir, Stdout: c.logs.logs[0], Stderr: c.logs.logs[1], StartTimeout: max(timeout, 10*time.Second)})
	if err != nil {
		c.destroy()
		return nil, err
	}
	c.logs.offsets[1] = c.proxy.LogStart
	return c, nil
}

// initEnv is the environment the invoker's /init gives the action: the
// action's init parameters and the activation's __OW_ variables.
func (p *proxyPool) initEnv(j *job, deadline time.Time) map[string]string {
	s, a := p.base.s, p.base.a
	ns := s.opts.Namespace
	env := map[string]string{"__OW_NAMESPACE": ns, "__OW_ACTION_NAME": "/" + ns + "/" + a.name,
		"__OW_ACTION_VERSION": a.version, "__OW_ACTIVATION_ID": j.id, "__OW_TRANSACTION_ID": newID(),
		"__OW_DEADLINE": strconv.FormatInt(deadline.UnixMilli(), 10)}
	for _, kv := range a.initEnv {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	if string(a.annotation("provide-api-key")) == "true" {
		env["__OW_API_KEY"] = s.opts.Auth
	}
	return env
}

// runIn runs j in c as the invoker does and reports whether c broke.
func (p *proxyPool) runIn(ctx context.Context, c *proxyContainer, j *job, o *outcome) (broken bool) {
	s, a := p.base.s, p.base.a
	if j.fault.crash {
		s.stats.crashes.Add(1)
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalRun)
		return true
	}
	begin := time.Now()
	deadline := begin.Add(time.Duration(a.limits.Timeout) * time.Millisecond)
	body, err := p.base.runBody(j, deadline)
	if err != nil {
		o.status, o.result = statusInternalError, errorResult(err.Error())
		return false
	}
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	status, answer, size, err := c.proxy.Run(rctx, body, s.opts.ResultLimit)
	if err == nil && j.fault.straggler && !straggle(ctx, s, begin, deadline) {
		err = os.ErrDeadlineExceeded
	}
	switch {
	case ctx.Err() != nil:
		o.status, o.result = statusInternalError, errorResult(msgUnavailable)
		return true
	case rctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
		o.timeout = true
		o.status, o.result = statusDeveloperError, errorResult(msgTimeout(a.limits.Timeout))
		return true
	case err != nil:
		o.status, o.result = statusDeveloperError, errorResult(msgAbnormalRun)
		return true
	case size > s.opts.ResultLimit:
		o.status, o.result = statusApplicationError, errorResult(msgTruncated(size, s.opts.ResultLimit))
		return false
	case status != http.StatusOK:
		o.status, o.result = statusDeveloperError, failureResult(answer, msgInvalidResponse(string(answer)))
		return true
	}
	o.status, o.result = classify(answer, s.opts.ResultLimit)
	return o.status == statusDeveloperError
}

// failureResult is the result the invoker stores for a container's
// failure answer: its "error" field when it is a JSON object with one,
// otherwise {"error": fallback}.
func failureResult(answer []byte, fallback string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(answer, &m) == nil && m["error"] != nil {
		b, _ := json.Marshal(map[string]json.RawMessage{"error": m["error"]})
		return b
	}
	return errorResult(fallback)
}

// release keeps c warm, or destroys it when broken or the pool is closed.
func (p *proxyPool) release(c *proxyContainer, broken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if broken || p.closed {
		go c.destroy()
		return
	}
	p.idle = append(p.idle, c)
}

// close destroys the idle containers; busy ones go when released.
func (p *proxyPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.idle {
		go c.destroy()
	}
	p.idle = nil
}

// collectLogs returns the action's lines since the last call without the
// proxy's end-of-activation guards.
func (c *proxyContainer) collectLogs(limit int) []string {
	lines := c.logs.collectLogs(limit)
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasSuffix(l, owproxy.OutputGuard) {
			kept = append(kept, l)
		}
	}
	return kept
}

// destroy kills the proxy and its action and removes the container.
func (c *proxyContainer) destroy() {
	if c.proxy != nil {
		c.proxy.Kill()
	}
	c.logs.closeFiles()
	os.RemoveAll(c.dir)
}
