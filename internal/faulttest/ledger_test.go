package faulttest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/overcast-sc/overcast"
)

// tag identifies a task's output: the run it belongs to and its index. The
// tasks of this package echo their input's tag, so that an output taken
// twice, or taken for the wrong task, shows.
type tag struct {
	Run   string `json:"run"`
	Index int    `json:"index"`
}

// ledger counts, per run and task index, how many times the driver decoded
// (took) an output and how many times a worker ran the task.
var ledger = struct {
	sync.Mutex
	delivered map[string][]int32
	executed  map[string][]int32
	nextRun   int
}{delivered: map[string][]int32{}, executed: map[string][]int32{}}

// newRun returns a fresh run tag for n tasks.
func newRun(n int) string {
	ledger.Lock()
	defer ledger.Unlock()
	ledger.nextRun++
	run := fmt.Sprintf("run%d", ledger.nextRun)
	ledger.delivered[run] = make([]int32, n)
	ledger.executed[run] = make([]int32, n)
	return run
}

func count(m map[string][]int32, t tag) {
	ledger.Lock()
	defer ledger.Unlock()
	if c := m[t.Run]; t.Index >= 0 && t.Index < len(c) {
		c[t.Index]++
	}
}

// delivered and executed record one decode and one execution of t's task.
func (t tag) delivered() { count(ledger.delivered, t) }
func (t tag) executed()  { count(ledger.executed, t) }

// counts returns a copy of a run's counters.
func counts(run string) (delivered, executed []int32) {
	ledger.Lock()
	defer ledger.Unlock()
	return append([]int32(nil), ledger.delivered[run]...), append([]int32(nil), ledger.executed[run]...)
}

// finishes is a Reporter counting Finished events per task index.
type finishes struct {
	perTask []atomic.Int32
	total   atomic.Int64
	foreign atomic.Int64 // Finished events with an index out of range
}

func newFinishes(n int) *finishes { return &finishes{perTask: make([]atomic.Int32, n)} }

func (f *finishes) Report(e overcast.Event) {
	if e.Kind != overcast.Finished {
		return
	}
	f.total.Add(1)
	if e.Index < 0 || e.Index >= len(f.perTask) {
		f.foreign.Add(1)
		return
	}
	f.perTask[e.Index].Add(1)
}

// checkOnce fails unless each of the n tasks of run was taken exactly once
// and reported finished exactly once, and the outputs carry their own
// index. It returns how many tasks ran more than once.
func checkOnce(t *testing.T, run string, n int, f *finishes, outTags []tag) (rerun int) {
	t.Helper()
	delivered, executed := counts(run)
	if got := f.total.Load(); got != int64(n) || f.foreign.Load() != 0 {
		t.Errorf("%d Finished events (%d out of range), want exactly %d", got, f.foreign.Load(), n)
	}
	bad := 0
	for i := range n {
		ok := delivered[i] == 1 && f.perTask[i].Load() == 1 && outTags[i] == tag{run, i}
		if !ok && bad < 10 {
			t.Errorf("task %d: output taken %d times, finished %d times, output tagged %+v", i, delivered[i], f.perTask[i].Load(), outTags[i])
		}
		if !ok {
			bad++
		}
		if executed[i] > 1 {
			rerun++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d tasks lost or double-counted", bad, n)
	}
	return rerun
}
