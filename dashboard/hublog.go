package dashboard

import (
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
)

// hubLog is the JobLog of one Map: it passes every record on to the
// job's journal, if any, and keeps it for the views.
type hubLog struct {
	h     *Hub
	m     *liveMap
	inner overcast.JobLog
}

var (
	_ overcast.DispatchLog = (*hubLog)(nil)
	_ overcast.ResumeLog   = (*hubLog)(nil)
	_ overcast.SpentLog    = (*hubLog)(nil)
	_ overcast.WindowLog   = (*hubLog)(nil)
)

func (l *hubLog) Completed(i int) ([]byte, bool) {
	if l.inner == nil {
		return nil, false
	}
	return l.inner.Completed(i)
}

func (l *hubLog) Attempted(i, attempt int, backendID string, err error) {
	if l.inner != nil {
		l.inner.Attempted(i, attempt, backendID, err)
	}
}

func (l *hubLog) Finished(i int, rec *overcast.TaskRecord, out []byte) {
	if l.inner != nil {
		l.inner.Finished(i, rec, out)
	}
	l.set(i, rec, false)
}

func (l *hubLog) Failed(i int, rec *overcast.TaskRecord, f *overcast.TaskFailure) {
	if l.inner != nil {
		l.inner.Failed(i, rec, f)
	}
	if l.set(i, rec, true) {
		l.h.mu.Lock()
		l.h.job.Errors["failed: "+f.Code.String()]++
		l.h.mu.Unlock()
	}
}

// set keeps task i's record and counts it. A task is resolved once, but
// a failed task may finish after all (a copy of it answers later), as the
// journal counts it.
func (l *hubLog) set(i int, rec *overcast.TaskRecord, failed bool) bool {
	h := l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if i < 0 || i >= len(l.m.resolved) {
		return false
	}
	was := l.m.resolved[i]
	if was == resolvedDone || (was == resolvedFailed && failed) {
		return false
	}
	r := *rec
	if failed {
		r.State = overcast.TaskFailedState
		l.m.resolved[i] = resolvedFailed
		h.job.Failed++
	} else {
		r.State = overcast.Done
		l.m.resolved[i] = resolvedDone
		h.job.Done++
		if was == resolvedFailed {
			h.job.Failed--
		}
	}
	l.m.records.Set(i, &r)
	delete(l.m.inflight, i)
	h.changedLocked()
	return true
}

func (l *hubLog) Close(r *overcast.Report) error {
	h := l.h
	h.mu.Lock()
	cp := *r
	l.m.report = &cp
	l.m.inflight = map[int]time.Time{}
	h.changedLocked()
	h.mu.Unlock()
	if l.inner == nil {
		return nil
	}
	return l.inner.Close(r)
}

// Dispatched passes on to the journal (overcast.DispatchLog).
func (l *hubLog) Dispatched(i, attempt int, id string) {
	if d, ok := l.inner.(overcast.DispatchLog); ok {
		d.Dispatched(i, attempt, id)
	}
}

// Pending asks the journal (overcast.DispatchLog).
func (l *hubLog) Pending(i int) []string {
	if d, ok := l.inner.(overcast.DispatchLog); ok {
		return d.Pending(i)
	}
	return nil
}

// EachCompleted asks the journal (overcast.ResumeLog).
func (l *hubLog) EachCompleted(fn func(i int, out []byte)) error {
	switch r := l.inner.(type) {
	case nil:
		return nil
	case overcast.ResumeLog:
		return r.EachCompleted(fn)
	}
	for i := range l.m.records.Len() {
		if out, ok := l.inner.Completed(i); ok {
			fn(i, out)
		}
	}
	return nil
}

// Spent passes on to the journal (overcast.SpentLog).
func (l *hubLog) Spent(i int, bs overcast.Bills) {
	if s, ok := l.inner.(overcast.SpentLog); ok {
		s.Spent(i, bs)
	}
}

// Window passes on to the journal (overcast.WindowLog) and shows the
// change at once, between the hub's samples.
func (l *hubLog) Window(at time.Time, window, max int) {
	if w, ok := l.inner.(overcast.WindowLog); ok {
		w.Window(at, window, max)
	}
	h := l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.job.State != string(journal.Running) {
		return
	}
	n := 0
	for _, m := range h.maps {
		n += len(m.inflight)
	}
	h.job.Flow = append(h.job.Flow, FlowSample{Time: at, InFlight: n, Window: window, MaxWindow: max})
	if len(h.job.Flow) > maxSamples {
		h.job.Flow = append(h.job.Flow[:0:0], h.job.Flow[len(h.job.Flow)-maxSamples:]...)
	}
}
