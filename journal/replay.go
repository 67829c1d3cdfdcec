package journal

import (
	"bytes"
	"slices"

	"github.com/overcast-sc/overcast"
)

// tasksReplay rebuilds every task's Task from a Map's log (format 2), as
// the journal kept them in memory before format 2. Reading them all is a
// full scan: jobs plot and tests need it, jobs show does not.
type tasksReplay struct {
	tasks []Task
	run   int
	// window is the backend's window over time, as the Map recorded it.
	window []WindowSample
	// outs keeps outputs when asked (Store.Output).
	outs map[int][]byte
}

func (r *tasksReplay) apply(e *event) {
	if e.kind == evOpen {
		r.run = e.run
		for i := range r.tasks {
			if r.tasks[i].State != TaskDone {
				r.tasks[i].carrySpent()
			}
		}
		return
	}
	if e.kind == evSetRun {
		r.run = e.run
		return
	}
	if e.kind == evWindow {
		r.window = append(r.window, e.win)
		return
	}
	if e.i < 0 || e.i >= len(r.tasks) {
		return
	}
	t := &r.tasks[e.i]
	switch e.kind {
	case evDispatched:
		if t.State != TaskDone && t.State != TaskFailed {
			t.State = TaskRunning
		}
		t.addActivation(e.id)
	case evAttempted:
		t.Attempts++
		t.addActivation(e.id)
		// A losing copy's late attempt leaves a resolved task as it is; a
		// failure of an earlier run is undone, as the task runs again.
		if t.State == TaskDone || t.State == TaskFailed && t.Run == r.run {
			break
		}
		t.State = TaskRunning
		if e.hasFail {
			t.Error = e.err
		}
	case evFinished:
		t.State, t.Code, t.Error = TaskDone, "", ""
		if r.outs != nil {
			r.outs[e.i] = bytes.Clone(e.out)
		}
		if e.rec.Collected {
			// The collected attempt is one an earlier run left running and
			// billed until it stopped; its record now bills it in full.
			t.Spent = t.Spent.Without(overcast.BillStopped)
		}
	case evFailed:
		t.State, t.Code, t.Error = TaskFailed, e.code, e.err
	case evSpent:
		if t.Record == nil {
			t.Record = &overcast.TaskRecord{}
		}
		t.Record.Spent = slices.Clone(e.spent)
	case evCarried:
		t.Spent = slices.Clone(e.spent)
	}
	if e.kind == evFinished || e.kind == evFailed {
		rec := e.rec
		rec.Spent = slices.Clone(rec.Spent)
		t.Record = &rec
	}
	t.Run = r.run
}

// carrySpent moves the bills of an earlier run's record of a task that
// may run again into the task's own, so that this run's record, which
// replaces it, does not drop them.
func (t *Task) carrySpent() {
	if r := t.Record; r != nil && len(r.Spent) > 0 {
		t.Spent = append(t.Spent, r.Spent...)
		r.Spent = nil
	}
}

// addActivation appends an activation id once (a dispatched attempt is
// recorded again when it returns), keeping the newest maxActivations.
func (t *Task) addActivation(id string) {
	if id == "" || (len(t.Activations) > 0 && t.Activations[len(t.Activations)-1] == id) {
		return
	}
	t.Activations = append(t.Activations, id)
	if len(t.Activations) > maxActivations {
		t.Activations = t.Activations[len(t.Activations)-maxActivations:]
	}
}
