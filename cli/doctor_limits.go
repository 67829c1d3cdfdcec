package cli

import (
	"fmt"
	"math"
)

// Binding limits, as doctor names them.
const (
	bindConcurrent = "concurrent"
	bindPerMinute  = "per_minute"
	bindInvokers   = "invoker_capacity"
	bindAccount    = "account_concurrency"
	bindEndpoints  = "endpoints"
	bindSetting    = "concurrency_setting"
	bindDriver     = "overcast_driver"
	bindFunction   = "function_concurrency"
)

// capacity is what bounds a job's width on a platform.
type capacity struct {
	// Concurrent is the namespace's activations in flight.
	Concurrent int
	// PerMinute is invocations a minute; 0 means unlimited.
	PerMinute int
	// Slots is the invokers' room for actions of the action's memory;
	// 0 means unknown.
	Slots int
	// TaskSeconds is the task duration per-minute pacing is judged at.
	TaskSeconds float64
	// Driver is the most the driver keeps in flight; 0 means no bound of
	// its own.
	Driver int
}

// perMinuteWidth is how many tasks of TaskSeconds the per-minute limit
// keeps running at once: PerMinute × TaskSeconds / 60; 0 when unlimited.
func (c capacity) perMinuteWidth() int {
	if c.PerMinute <= 0 {
		return 0
	}
	return max(1, int(math.Floor(float64(c.PerMinute)*c.TaskSeconds/60)))
}

// binding returns the largest useful --concurrency and the limit that sets
// it: the smallest of the concurrent limit, the invokers' slots (when
// known), the per-minute limit's width and the driver's own bound; on a
// tie the first of these.
func (c capacity) binding() (int, string) {
	width, name := c.Concurrent, bindConcurrent
	if c.Slots > 0 && c.Slots < width {
		width, name = c.Slots, bindInvokers
	}
	if w := c.perMinuteWidth(); w > 0 && w < width {
		width, name = w, bindPerMinute
	}
	if c.Driver > 0 && c.Driver < width {
		width, name = c.Driver, bindDriver
	}
	return width, name
}

// chartChange is one value of Apache OpenWhisk's chart to set.
type chartChange struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Now   string `json:"now"`
	Why   string `json:"why"`
}

// chartState is what doctor knows of the chart's values on the cluster.
type chartState struct {
	Invokers     int // 0 when unknown
	UserMemoryMB int // 0 when unknown
	MemoryMB     int // the action's memory
}

// helmNumberLimit is the first number helm renders in exponent form
// (1e+06), which the controller does not read as an integer.
const helmNumberLimit = 1_000_000

// chartChanges returns the chart values to change for n tasks of the
// action to run at once: the concurrent limit, the invokers' slots
// (replicaCount × userMemory / action memory) and the per-minute limit.
func chartChanges(n int, c capacity, s chartState) []chartChange {
	var out []chartChange
	if c.Concurrent < n {
		out = append(out, chartChange{Key: "whisk.limits.actionsInvokesConcurrent", Value: fmt.Sprint(n), Now: fmt.Sprint(c.Concurrent),
			Why: fmt.Sprintf("the namespace may have %d activations in flight", c.Concurrent)})
	}
	out = append(out, slotChanges(n, c, s)...)
	if need := int(math.Ceil(float64(n) * 60 / c.TaskSeconds)); c.PerMinute > 0 && c.PerMinute < need {
		why := fmt.Sprintf("%d tasks of %g s start %d times a minute", n, c.TaskSeconds, need)
		if need >= helmNumberLimit {
			why += fmt.Sprintf("; helm renders numbers from 1,000,000 as 1e+06, which the controller cannot read: at most %d, or longer tasks", helmNumberLimit-1)
			need = helmNumberLimit - 1
		}
		out = append(out, chartChange{Key: "whisk.limits.actionsInvokesPerminute", Value: fmt.Sprint(need), Now: fmt.Sprint(c.PerMinute), Why: why})
	}
	return out
}

// slotChanges returns the invoker values to change so that replicaCount ×
// userMemory / action memory reaches n.
func slotChanges(n int, c capacity, s chartState) []chartChange {
	const replicas, userMemory = "invoker.containerFactory.kubernetes.replicaCount", "whisk.containerPool.userMemory"
	if s.Invokers == 0 || s.UserMemoryMB == 0 {
		return []chartChange{{Key: replicas + " x " + userMemory, Value: fmt.Sprintf("room for %d actions of %dm", n, s.MemoryMB), Now: "unknown",
			Why: "the invokers' room is unknown (pass --helm-values with the values the cluster was installed with); each invoker holds userMemory / action memory actions"}}
	}
	if c.Slots >= n {
		return nil
	}
	perInvoker := s.UserMemoryMB / s.MemoryMB
	var out []chartChange
	if perInvoker > 0 {
		need := (n + perInvoker - 1) / perInvoker
		out = append(out, chartChange{Key: replicas, Value: fmt.Sprint(need), Now: fmt.Sprint(s.Invokers),
			Why: fmt.Sprintf("%d invokers x (%dm / %dm = %d actions) = %d slots; %d x %d = %d", s.Invokers, s.UserMemoryMB, s.MemoryMB, perInvoker, c.Slots, need, perInvoker, need*perInvoker)})
	}
	perNeeded := (n + s.Invokers - 1) / s.Invokers
	out = append(out, chartChange{Key: userMemory, Value: fmt.Sprintf("%dm", perNeeded*s.MemoryMB), Now: fmt.Sprintf("%dm", s.UserMemoryMB),
		Why: fmt.Sprintf("or keep %d invokers and give each room for %d actions of %d MB", s.Invokers, perNeeded, s.MemoryMB)})
	return out
}
