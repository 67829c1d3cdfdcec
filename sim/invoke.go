package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// executor runs the activations of one action version.
type executor interface {
	// run runs j until it ends or ctx is done; the outcome's status and
	// result are final.
	run(ctx context.Context, j *job) outcome
	// close discards the executor's containers.
	close()
}

// job is one accepted activation.
type job struct {
	id       string
	action   *action
	params   []byte // a JSON object
	accepted time.Time
	fault    draw
}

// outcome is how an activation ended.
type outcome struct {
	start, end time.Time
	init       time.Duration
	cold       bool
	timeout    bool
	status     int
	result     []byte
	logs       []string
}

// Blocking invokes wait up to the action's timeout plus this grace, and
// never longer than maxBlockingWait.
const (
	blockingGrace   = time.Second
	maxBlockingWait = 60 * time.Second
)

func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	a := s.lookup(r.PathValue("name"))
	if a == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	body, ok := readBody(w, r, s.opts.PayloadLimit)
	if !ok {
		return
	}
	params, err := a.bind(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, msgMalformed(err.Error()))
		return
	}
	var blocking, resultOnly bool
	if q := r.URL.RawQuery; q != "" && q != "blocking=false" { // the usual query needs no parsing
		q := r.URL.Query()
		blocking, resultOnly = q.Get("blocking") == "true", q.Get("result") == "true"
	}
	j, status, msg := s.admit(a, params)
	if j == nil {
		writeError(w, status, msg)
		return
	}
	var done chan *record
	if blocking {
		done = make(chan *record, 1)
	}
	go s.execute(j, done)
	w.Header().Set("X-Openwhisk-Activation-Id", j.id)
	if !blocking {
		writeRaw(w, http.StatusAccepted, accepted(j.id))
		return
	}
	s.awaitBlocking(w, r, j, done, resultOnly)
}

// admit applies the limits and the injected 5xx to one invocation. It
// returns the job, or the status and message to answer instead.
func (s *Server) admit(a *action, params []byte) (*job, int, string) {
	if s.ctx.Err() != nil {
		return nil, http.StatusServiceUnavailable, msgUnavailable
	}
	now := time.Now()
	if msg := s.throttle.admit(now); msg != "" {
		s.stats.throttled.Add(1)
		return nil, http.StatusTooManyRequests, msg
	}
	d := s.faults.next()
	if d.serverError != 0 {
		s.throttle.done()
		s.stats.serverErrors.Add(1)
		msg := map[int]string{503: msgUnavailable, 500: msgInternal, 502: msgBadGateway}[d.serverError]
		return nil, d.serverError, msg
	}
	s.stats.invocations.Add(1)
	s.stats.start()
	return &job{id: newID(), action: a, params: params, accepted: now, fault: d}, 0, ""
}

func accepted(id string) []byte {
	return append(append([]byte(`{"activationId":"`), id...), `"}`...)
}

// awaitBlocking answers a blocking invoke: the activation (or its result)
// when it ends in time, 202 with its id otherwise.
func (s *Server) awaitBlocking(w http.ResponseWriter, r *http.Request, j *job, done <-chan *record, resultOnly bool) {
	wait := min(maxBlockingWait, time.Duration(j.action.limits.Timeout)*time.Millisecond+blockingGrace)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case rec := <-done:
		status := http.StatusOK
		switch rec.status {
		case statusApplicationError, statusDeveloperError:
			status = http.StatusBadGateway
		case statusInternalError:
			status = http.StatusInternalServerError
		}
		if resultOnly {
			writeRaw(w, status, rec.result)
		} else {
			writeRaw(w, status, rec.marshal())
		}
	case <-t.C:
		writeRaw(w, http.StatusAccepted, accepted(j.id))
	case <-r.Context().Done():
	}
}

// execute runs j and stores its record (unless it is to be lost), then
// hands the record to done when it is not nil.
func (s *Server) execute(j *job, done chan<- *record) {
	defer s.stats.running.Add(-1)
	defer s.throttle.done()
	out := s.runOnInvoker(j)
	a := j.action
	rec := &record{id: j.id, ns: s.opts.Namespace, name: a.name, version: a.version, kind: a.kind,
		limits: a.limits, start: out.start, end: out.end, wait: out.start.Sub(j.accepted),
		init: out.init, cold: out.cold, timeout: out.timeout, status: out.status, result: out.result, logs: out.logs}
	if out.timeout {
		s.stats.timeouts.Add(1)
	}
	if j.fault.lost {
		s.stats.lost.Add(1)
		s.opts.Logf("sim: activation %s lost on purpose", j.id)
		return
	}
	s.store.put(rec)
	s.stats.activations.Add(1)
	if done != nil {
		done <- rec
	}
}

// runOnInvoker runs j once an invoker has room for its action's memory
// (at once without modeled invokers): the wait shows in the record's
// waitTime, as an invoker's queue does.
func (s *Server) runOnInvoker(j *job) outcome {
	release, err := s.invokers.acquire(s.ctx, j.action.limits.Memory)
	if err != nil {
		now := time.Now()
		return outcome{start: now, end: now, status: statusInternalError, result: errorResult(err.Error())}
	}
	defer release()
	return j.action.exec.run(s.ctx, j)
}

// bind checks an invoke's parameters (a JSON object; empty means {}) and
// adds the action's bound parameters the invoke does not set. Init
// parameters are not among them: as a controller's, they reach the
// container in /init's env only.
func (a *action) bind(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' || !json.Valid(body) {
		return nil, errNotObject
	}
	if a.params == nil {
		return body, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	for k, v := range a.params {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

type constError string

func (e constError) Error() string { return string(e) }

const errNotObject = constError("the parameters must be a JSON object")

// classify turns an action's raw answer into a status and the result to
// store: an answer over limit bytes or not a JSON object (or array) is an
// error, an object with an "error" field an application error.
func classify(raw []byte, limit int) (int, []byte) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > limit {
		return statusApplicationError, errorResult(msgTruncated(len(raw), limit))
	}
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') || !json.Valid(raw) {
		return statusDeveloperError, errorResult(msgInvalidResponse(string(raw)))
	}
	if raw[0] == '{' && bytes.Contains(raw, []byte(`"error"`)) {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			if _, ok := m["error"]; ok {
				return statusApplicationError, raw
			}
		}
	}
	return statusSuccess, raw
}

// errorResult is the result OpenWhisk stores for a failure it reports.
func errorResult(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return b
}
