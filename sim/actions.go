package sim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// actionLimits are an action's limits as OpenWhisk writes them.
type actionLimits struct {
	Timeout     int `json:"timeout"`
	Memory      int `json:"memory"`
	Logs        int `json:"logs"`
	Concurrency int `json:"concurrency"`
}

var defaultLimits = actionLimits{Timeout: 60000, Memory: 256, Logs: 10, Concurrency: 1}

// limitBound is the range OpenWhisk allows one action limit by default.
type limitBound struct {
	name, unit string
	get        func(*actionLimits) int
	min, max   int
}

var (
	timeoutBound     = limitBound{"Timeout", "milliseconds", func(l *actionLimits) int { return l.Timeout }, 100, 300000}
	memoryBound      = limitBound{"Memory", "MB", func(l *actionLimits) int { return l.Memory }, 128, 512}
	logsBound        = limitBound{"Logs", "MB", func(l *actionLimits) int { return l.Logs }, 0, 10}
	concurrencyBound = limitBound{"Concurrency", "activations", func(l *actionLimits) int { return l.Concurrency }, 1, 500}
)

// actionBounds are the bounds a server allows actions' limits, and the
// limits an action gets when it sets none.
type actionBounds struct {
	bounds   []limitBound
	defaults actionLimits
}

// newActionBounds applies Options.MemoryMB and TimeoutMS (min, max,
// default; zero keeps OpenWhisk's) to OpenWhisk's default bounds.
func newActionBounds(memoryMB, timeoutMS [3]int) actionBounds {
	mem, tmo, def := memoryBound, timeoutBound, defaultLimits
	set := func(b *limitBound, std *int, v [3]int) {
		if v[0] > 0 {
			b.min = v[0]
		}
		if v[1] > 0 {
			b.max = v[1]
		}
		if v[2] > 0 {
			*std = v[2]
		}
	}
	set(&mem, &def.Memory, memoryMB)
	set(&tmo, &def.Timeout, timeoutMS)
	return actionBounds{bounds: []limitBound{tmo, mem, logsBound, concurrencyBound}, defaults: def}
}

// bound returns the bound of the named limit.
func (ab *actionBounds) bound(name string) limitBound {
	for _, b := range ab.bounds {
		if b.name == name {
			return b
		}
	}
	panic("sim: no bound " + name)
}

func (l *actionLimits) check(bounds []limitBound) error {
	for _, b := range bounds {
		v := b.get(l)
		if v < b.min {
			//lint:ignore ST1005 OpenWhisk's own message, verbatim
			return fmt.Errorf("%s %d %s below allowed threshold of %d %s.", b.name, v, b.unit, b.min, b.unit)
		}
		if v > b.max {
			//lint:ignore ST1005 OpenWhisk's own message, verbatim
			return fmt.Errorf("%s %d %s exceeds allowed threshold of %d %s.", b.name, v, b.unit, b.max, b.unit)
		}
	}
	return nil
}

// action is a stored action.
type action struct {
	name        string // package/name or name
	version     string
	publish     bool
	kind        string
	runtime     *Kind // the kind's entry in the server's runtimes
	main        string
	image       string
	code        string
	annotations json.RawMessage
	parameters  json.RawMessage
	params      map[string]json.RawMessage // parameters by key; nil when none
	initEnv     []string                   // the init parameters as KEY=value, in order
	limits      actionLimits
	updated     int64
	exec        executor
}

// actionPut is the body of PUT .../actions/{name}.
type actionPut struct {
	Exec *struct {
		Kind  string `json:"kind"`
		Code  string `json:"code"`
		Image string `json:"image"`
		Main  string `json:"main"`
	} `json:"exec"`
	Annotations json.RawMessage `json:"annotations"`
	Parameters  json.RawMessage `json:"parameters"`
	Limits      *struct {
		Timeout     *int `json:"timeout"`
		Memory      *int `json:"memory"`
		Logs        *int `json:"logs"`
		Concurrency *int `json:"concurrency"`
	} `json:"limits"`
	Publish *bool `json:"publish"`
}

var nameRE = regexp.MustCompile(`^[\w@.-][\w@ .-]{0,255}(/[\w@.-][\w@ .-]{0,255})?$`)

// merge builds the action an update makes of old (nil on create).
func (p *actionPut) merge(name string, old *action, ab *actionBounds) (*action, error) {
	a := &action{name: name, version: "0.0.1", limits: ab.defaults, annotations: json.RawMessage("[]"), parameters: json.RawMessage("[]")}
	if old != nil {
		c := *old
		a = &c
		a.exec = nil
		a.version = nextVersion(old.version)
	}
	a.updated = time.Now().UnixMilli()
	if p.Publish != nil {
		a.publish = *p.Publish
	}
	switch {
	case p.Exec != nil:
		a.kind, a.code, a.image, a.main = p.Exec.Kind, p.Exec.Code, p.Exec.Image, p.Exec.Main
	case old == nil:
		return nil, fmt.Errorf("exec undefined")
	}
	if a.kind == "" {
		return nil, fmt.Errorf("exec malformed: no kind")
	}
	if err := a.setKeyValues(p.Annotations, p.Parameters); err != nil {
		return nil, err
	}
	if l := p.Limits; l != nil {
		setIf(&a.limits.Timeout, l.Timeout)
		setIf(&a.limits.Memory, l.Memory)
		setIf(&a.limits.Logs, l.Logs)
		setIf(&a.limits.Concurrency, l.Concurrency)
	}
	return a, a.limits.check(ab.bounds)
}

func (a *action) setKeyValues(annotations, parameters json.RawMessage) error {
	if len(annotations) > 0 && string(annotations) != "null" {
		var kv []keyValue
		if err := json.Unmarshal(annotations, &kv); err != nil {
			return fmt.Errorf("annotations malformed: %v", err)
		}
		a.annotations = annotations
	}
	if len(parameters) > 0 && string(parameters) != "null" {
		var kv []struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
			Init  bool            `json:"init"`
		}
		if err := json.Unmarshal(parameters, &kv); err != nil {
			return fmt.Errorf("parameters malformed: %v", err)
		}
		a.parameters, a.params, a.initEnv = parameters, nil, nil
		for _, p := range kv {
			if p.Init {
				a.initEnv = append(a.initEnv, p.Key+"="+envText(p.Value))
				continue
			}
			if a.params == nil {
				a.params = map[string]json.RawMessage{}
			}
			a.params[p.Key] = p.Value
		}
	}
	return nil
}

// envText is an init parameter's value as an environment variable holds
// it: a JSON string's text, any other value's JSON.
func envText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func setIf(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func nextVersion(v string) string {
	i := strings.LastIndexByte(v, '.')
	n, err := strconv.Atoi(v[i+1:])
	if err != nil {
		return v
	}
	return v[:i+1] + strconv.Itoa(n+1)
}

// annotation returns the value of the action's annotation key, or nil.
func (a *action) annotation(key string) json.RawMessage {
	var kv []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	json.Unmarshal(a.annotations, &kv)
	for _, e := range kv {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

type execDoc struct {
	Kind   string `json:"kind"`
	Code   string `json:"code,omitempty"`
	Image  string `json:"image,omitempty"`
	Main   string `json:"main,omitempty"`
	Binary bool   `json:"binary"`
}

// actionDoc is the action as OpenWhisk answers it.
type actionDoc struct {
	Namespace   string          `json:"namespace"`
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Publish     bool            `json:"publish"`
	Exec        execDoc         `json:"exec"`
	Annotations json.RawMessage `json:"annotations"`
	Parameters  json.RawMessage `json:"parameters"`
	Limits      actionLimits    `json:"limits"`
	Updated     int64           `json:"updated"`
}

// doc returns the action in namespace ns, with its code when withCode.
func (a *action) doc(ns string, withCode bool) *actionDoc {
	d := &actionDoc{Namespace: ns, Name: a.name, Version: a.version, Publish: a.publish,
		Exec:        execDoc{Kind: a.kind, Image: a.image, Main: a.main, Binary: true},
		Annotations: a.annotations, Parameters: a.parameters, Limits: a.limits, Updated: a.updated}
	if pkg, name, ok := strings.Cut(a.name, "/"); ok {
		d.Namespace, d.Name = ns+"/"+pkg, name
	}
	if withCode {
		d.Exec.Code = a.code
	}
	return d
}

// withAnnotation returns annotations (a checked JSON array of key-value
// pairs) with key set to value, last, as a controller sets "exec".
func withAnnotation(annotations json.RawMessage, key string, value any) json.RawMessage {
	var kv []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	json.Unmarshal(annotations, &kv)
	v, _ := json.Marshal(value)
	out := kv[:0]
	for _, e := range kv {
		if e.Key != key {
			out = append(out, e)
		}
	}
	out = append(out, struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}{key, v})
	b, _ := json.Marshal(out)
	return b
}
