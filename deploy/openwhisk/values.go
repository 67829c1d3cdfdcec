// Package openwhisk reads the values files of Apache OpenWhisk's Kubernetes
// Helm chart (openwhisk-deploy-kube, chart 1.0.1) for what they allow
// Overcast: the namespace's limits, the invokers and their user memory,
// action memory and time limits, the payload limit. Its folder holds the
// values files Overcast ships for that chart (values-kubernetes.yaml,
// values-openshift.yaml, the values-10k.yaml overlay) and the guide from an
// empty cluster to `overcast run --backend openwhisk` (README.md).
//
// overcast sim --helm-values and overcast doctor --helm-values read values
// files with it, layered over the chart's defaults as helm layers them.
package openwhisk

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// chartDefaults are the keys of the chart's own values.yaml (chart 1.0.1)
// that Values reads; a test checks them against the chart itself.
//
//go:embed chart-defaults.yaml
var chartDefaults []byte

// Range is a limit's minimum, maximum and default (std).
type Range struct{ Min, Max, Std int }

// Values are what a cluster installed from the chart with some values
// files allows.
type Values struct {
	// Concurrent is whisk.limits.actionsInvokesConcurrent: a namespace's
	// activations in flight.
	Concurrent int
	// PerMinute is whisk.limits.actionsInvokesPerminute.
	PerMinute int
	// Invokers is invoker.containerFactory.kubernetes.replicaCount with
	// the Kubernetes container factory; 0 with the docker factory, whose
	// invokers are a DaemonSet (one per node labeled invoker).
	Invokers int
	// UserMemoryMB is whisk.containerPool.userMemory: each invoker's
	// memory for action containers.
	UserMemoryMB int
	// MemoryMB is whisk.limits.actions.memory, in MB.
	MemoryMB Range
	// TimeMS is whisk.limits.actions.time, in milliseconds.
	TimeMS Range
	// PayloadBytes is whisk.limits.activation.payload.max.
	PayloadBytes int
	// ContainerFactory is invoker.containerFactory.impl: kubernetes or
	// docker.
	ContainerFactory string
	// InvokerOptions is invoker.options (the log store provider, say).
	InvokerOptions string
	// ControllerReplicas is controller.replicaCount.
	ControllerReplicas int
}

// Slots returns the actions of memoryMB the invokers run at once:
// invokers × floor(userMemory / memoryMB); 0 when the invokers are not
// known (the docker factory) or memoryMB is not positive.
func (v *Values) Slots(memoryMB int) int {
	if memoryMB <= 0 {
		return 0
	}
	return v.Invokers * (v.UserMemoryMB / memoryMB)
}

// Defaults returns the chart's own values.
func Defaults() *Values {
	v, err := parse([]map[string]any{mustDoc(chartDefaults)})
	if err != nil {
		panic("openwhisk: the embedded chart defaults: " + err.Error())
	}
	return v
}

// Read reads values files and layers them, later over earlier, over the
// chart's defaults, as `helm install -f A -f B` does.
func Read(files ...string) (*Values, error) {
	docs := []map[string]any{mustDoc(chartDefaults)}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("helm values: %w", err)
		}
		doc, err := readDoc(data)
		if err != nil {
			return nil, fmt.Errorf("helm values %s: %w", f, err)
		}
		docs = append(docs, doc)
	}
	return parse(docs)
}

// readDoc parses one values file: a YAML mapping, or nothing. Numbers
// become float64, as helm reads them (through JSON).
func readDoc(data []byte) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a YAML mapping: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return asHelm(doc).(map[string]any), nil
}

// asHelm turns the numbers of a decoded YAML value into float64, as helm
// holds them.
func asHelm(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = asHelm(e)
		}
	case []any:
		for i, e := range v {
			v[i] = asHelm(e)
		}
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	}
	return v
}

func mustDoc(data []byte) map[string]any {
	doc, err := readDoc(data)
	if err != nil {
		panic("openwhisk: the embedded chart defaults: " + err.Error())
	}
	return doc
}

// parse reads the Values of layered documents.
func parse(docs []map[string]any) (*Values, error) {
	m := map[string]any{}
	for _, d := range docs {
		m = merge(m, d)
	}
	r := &reader{m: m}
	v := &Values{
		Concurrent:         r.count("whisk.limits.actionsInvokesConcurrent"),
		PerMinute:          r.count("whisk.limits.actionsInvokesPerminute"),
		UserMemoryMB:       r.megabytes("whisk.containerPool.userMemory"),
		MemoryMB:           Range{r.megabytes("whisk.limits.actions.memory.min"), r.megabytes("whisk.limits.actions.memory.max"), r.megabytes("whisk.limits.actions.memory.std")},
		TimeMS:             Range{r.millis("whisk.limits.actions.time.min"), r.millis("whisk.limits.actions.time.max"), r.millis("whisk.limits.actions.time.std")},
		PayloadBytes:       r.bytes("whisk.limits.activation.payload.max"),
		ContainerFactory:   r.text("invoker.containerFactory.impl"),
		InvokerOptions:     r.text("invoker.options"),
		ControllerReplicas: r.count("controller.replicaCount"),
	}
	switch v.ContainerFactory {
	case "kubernetes":
		v.Invokers = r.count("invoker.containerFactory.kubernetes.replicaCount")
	case "docker":
	default:
		r.fail("invoker.containerFactory.impl", fmt.Errorf("want kubernetes or docker, got %q", v.ContainerFactory))
	}
	if r.err == nil {
		r.err = v.check()
	}
	return v, r.err
}

// check refuses values a controller would not start with.
func (v *Values) check() error {
	for _, rg := range []struct {
		name string
		r    Range
	}{{"whisk.limits.actions.memory", v.MemoryMB}, {"whisk.limits.actions.time", v.TimeMS}} {
		if rg.r.Min > rg.r.Std || rg.r.Std > rg.r.Max {
			return fmt.Errorf("helm values: %s: want min <= std <= max, got %d, %d, %d", rg.name, rg.r.Min, rg.r.Std, rg.r.Max)
		}
	}
	if v.UserMemoryMB < v.MemoryMB.Min {
		return fmt.Errorf("helm values: whisk.containerPool.userMemory (%d MB) holds no action of the smallest memory (%d MB)", v.UserMemoryMB, v.MemoryMB.Min)
	}
	return nil
}

// merge layers over onto base: mappings merge key by key, anything else
// replaces, as helm merges values files. A null removes the key.
func merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = merge(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

// errMissing is a key the layered values do not hold.
var errMissing = errors.New("missing")

// The chart's Go kind: its runtimes.json (chart 1.0.1) deploys go:1.17,
// the default of the go family, in this image; blackbox actions run in
// openwhisk/dockerskeleton. A test checks them against the chart.
const (
	ChartGoKind  = "go:1.17"
	ChartGoImage = "openwhisk/action-golang-v1.17:1.20.0"
)
