package dashboard

import (
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/journal"
)

// Hub follows one job as it runs, in the driver's process: it sees the
// records the journal is given (wrap the job's journal with Journal) and
// the scheduler's events (it is an overcast.Reporter), and tells the
// Server's event streams when something changed.
type Hub struct {
	mu      sync.Mutex
	job     Job
	maps    []*liveMap
	flow    func() backend.Flow
	changed chan struct{} // closed on the next change
	ended   chan struct{} // closed by End
}

// liveMap is one Map of the job as it runs.
type liveMap struct {
	task     string
	records  overcast.Records
	inflight map[int]time.Time
	report   *overcast.Report
	// resolved is each task's outcome so far.
	resolved []uint8
}

// Task outcomes in liveMap.resolved.
const (
	resolvedNot uint8 = iota
	resolvedDone
	resolvedFailed
)

// maxSamples bounds the flow samples kept: an hour at one a second.
const maxSamples = 3600

var (
	_ overcast.Reporter    = (*Hub)(nil)
	_ overcast.EventFilter = (*Hub)(nil)
	_ overcast.Journal     = (*hubJournal)(nil)
)

// NewHub returns the hub of the job id, running workload on backend.
func NewHub(id, workload, backendName string) *Hub {
	return &Hub{job: Job{ID: id, Workload: workload, Backend: backendName, State: string(journal.Running),
		Started: time.Now(), Errors: map[string]int{}}, changed: make(chan struct{}), ended: make(chan struct{})}
}

// ID returns the job's id.
func (h *Hub) ID() string { return h.job.ID }

// SetFlow gives the hub the backend's flow control to sample.
func (h *Hub) SetFlow(f func() backend.Flow) {
	h.mu.Lock()
	h.flow = f
	h.mu.Unlock()
}

// changedLocked wakes every stream waiting on the hub.
func (h *Hub) changedLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// wait returns a channel closed at the next change.
func (h *Hub) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// End records the job's final state (a journal.State).
func (h *Hub) End(state journal.State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.job.State != string(journal.Running) {
		return
	}
	h.sampleLocked()
	h.job.State = string(state)
	h.job.Now = time.Now()
	h.changedLocked()
	close(h.ended)
}

// Sample records the flow control's state now; the server calls it while
// the job runs.
func (h *Hub) Sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sampleLocked()
}

func (h *Hub) sampleLocked() {
	if h.flow == nil || h.job.State != string(journal.Running) {
		return
	}
	f := h.flow()
	n := 0
	for _, m := range h.maps {
		n += len(m.inflight)
	}
	h.job.Flow = append(h.job.Flow, FlowSample{Time: time.Now(), InFlight: n, Window: f.Window, MaxWindow: f.MaxWindow})
	if len(h.job.Flow) > maxSamples {
		h.job.Flow = append(h.job.Flow[:0:0], h.job.Flow[len(h.job.Flow)-maxSamples:]...)
	}
}

// Snapshot returns the job as it stands now.
func (h *Hub) Snapshot() *Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.job
	d.Errors = maps.Clone(h.job.Errors)
	d.Flow = append([]FlowSample(nil), h.job.Flow...)
	sort.SliceStable(d.Flow, func(a, b int) bool { return d.Flow[a].Time.Before(d.Flow[b].Time) })
	if d.State == string(journal.Running) {
		d.Now = time.Now()
	}
	for _, m := range h.maps {
		r := m.report
		if r == nil {
			r = &overcast.Report{Job: d.ID, Task: m.task, Tasks: m.records.Len(), Backend: d.Backend}
		}
		cp := *r
		cp.Records = overcast.RecordsOf(m.records.Slice())
		d.Maps = append(d.Maps, &cp)
		for i, t := range m.inflight {
			d.InFlight = append(d.InFlight, Attempt{Index: i, Since: t})
		}
	}
	return &d
}

// Summary returns the job's counts, as the journal lists jobs.
func (h *Hub) Summary() *journal.Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	j := &h.job
	return &journal.Summary{ID: j.ID, Workload: j.Workload, Backend: j.Backend, State: journal.State(j.State),
		Tasks: j.Tasks, DoneTasks: j.Done, FailedTasks: j.Failed, Started: j.Started, Updated: time.Now(), Runs: 1}
}

// Wants says which events the hub takes (overcast.EventFilter).
func (h *Hub) Wants(k overcast.EventKind) bool {
	return k == overcast.Started || k == overcast.Retried || k == overcast.Failed || k == overcast.Finished
}

// Report takes one of the scheduler's events (overcast.Reporter).
func (h *Hub) Report(e overcast.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.mapOf(e.Task)
	if m == nil || e.Index < 0 || e.Index >= m.records.Len() {
		return
	}
	switch e.Kind {
	case overcast.Started:
		if _, ok := m.inflight[e.Index]; !ok {
			m.inflight[e.Index] = e.Time
		}
	case overcast.Retried:
		delete(m.inflight, e.Index)
		h.job.Errors[e.Code.String()]++
	case overcast.Failed, overcast.Finished:
		delete(m.inflight, e.Index)
	}
	h.changedLocked()
}

// mapOf returns the newest Map running task.
func (h *Hub) mapOf(task string) *liveMap {
	for k := len(h.maps) - 1; k >= 0; k-- {
		if h.maps[k].task == task && h.maps[k].report == nil {
			return h.maps[k]
		}
	}
	return nil
}

// Journal returns a journal that records into inner (which may be nil:
// the job is not journaled) and shows the hub every record.
func (h *Hub) Journal(inner overcast.Journal) overcast.Journal {
	return &hubJournal{h: h, inner: inner}
}

type hubJournal struct {
	h     *Hub
	inner overcast.Journal
}

func (j *hubJournal) Job(id string, seq int, task string, n int) (overcast.JobLog, error) {
	var inner overcast.JobLog
	if j.inner != nil {
		var err error
		if inner, err = j.inner.Job(id, seq, task, n); err != nil {
			return nil, err
		}
	}
	m := &liveMap{task: task, records: overcast.NewRecords(n), inflight: map[int]time.Time{}, resolved: make([]uint8, n)}
	h := j.h
	h.mu.Lock()
	h.maps = append(h.maps, m)
	h.job.Tasks += n
	h.changedLocked()
	h.mu.Unlock()
	return &hubLog{h: h, m: m, inner: inner}, nil
}
