package journal

import (
	"encoding/json"
	"math/bits"
	"slices"
	"strconv"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
)

// MapSummary is a Map's numbers, kept up to date with every batch the
// writer commits, so that jobs show reads one small record instead of
// every task. Its failures are kept apart, one record each.
type MapSummary struct {
	Tasks  int `json:"tasks"`
	Done   int `json:"done"`
	Failed int `json:"failed"`
	// Retries counts invocations beyond each task's first, over every run.
	Retries    int `json:"retries"`
	ColdStarts int `json:"cold_starts"`
	// Durations are the finished tasks' durations (see Stats).
	Durations Histogram `json:"durations"`
	// Usage is the billed use over every run, tasks priced at
	// report.DefaultMemoryMB where the platform reported no memory.
	Usage report.Usage `json:"usage"`
	// ReadBytes and WrittenBytes sum the storage I/O of the finished
	// tasks' attempts that produced their outputs.
	ReadBytes    int64 `json:"read_bytes,omitempty"`
	WrittenBytes int64 `json:"written_bytes,omitempty"`
}

// UnmarshalJSON reads a MapSummary, also as journals of older versions
// recorded it, when the usage's failed and losing parts were named retry_
// and backup_.
func (s *MapSummary) UnmarshalJSON(data []byte) error {
	type summary MapSummary // without this method
	var older struct {
		Usage struct {
			RetryInvocations  int64   `json:"retry_invocations"`
			RetryGBSeconds    float64 `json:"retry_gb_seconds"`
			BackupInvocations int64   `json:"backup_invocations"`
			BackupGBSeconds   float64 `json:"backup_gb_seconds"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(data, (*summary)(s)); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &older); err != nil {
		return err
	}
	if u, o := &s.Usage, older.Usage; u.FailedInvocations == 0 && u.LosingInvocations == 0 {
		u.FailedInvocations, u.FailedGBSeconds = o.RetryInvocations, o.RetryGBSeconds
		u.LosingInvocations, u.LosingGBSeconds = o.BackupInvocations, o.BackupGBSeconds
	}
	return nil
}

// Histogram counts durations in buckets of under 1% relative width, so
// that quantiles of any number of tasks come from a bounded record.
type Histogram struct {
	Counts map[string]int64 `json:"counts,omitempty"`
	N      int64            `json:"n"`
	Max    time.Duration    `json:"max"`
}

// histSub is the number of buckets per power of two.
const histSub = 128

func histBucket(d time.Duration) int64 {
	v := uint64(d)
	if v < histSub {
		return int64(v)
	}
	e := bits.Len64(v) - 8 // v>>e is in [128, 256)
	return int64(e)*histSub + int64(v>>e)
}

// histUpper is the largest duration of bucket k.
func histUpper(k int64) time.Duration {
	if k < 2*histSub {
		return time.Duration(k)
	}
	e, m := k/histSub-1, k%histSub+histSub
	return time.Duration((uint64(m+1) << e) - 1)
}

// Add counts d.
func (h *Histogram) Add(d time.Duration) {
	if h.Counts == nil {
		h.Counts = map[string]int64{}
	}
	h.Counts[strconv.FormatInt(histBucket(d), 10)]++
	h.N++
	h.Max = max(h.Max, d)
}

// Merge adds o's counts.
func (h *Histogram) Merge(o *Histogram) {
	for k, c := range o.Counts {
		if h.Counts == nil {
			h.Counts = map[string]int64{}
		}
		h.Counts[k] += c
	}
	h.N += o.N
	h.Max = max(h.Max, o.Max)
}

// Quantile returns the q-quantile (nearest rank), to within its bucket's
// width and never above the largest duration.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.N == 0 {
		return 0
	}
	type kc struct{ k, c int64 }
	var ks []kc
	for s, c := range h.Counts {
		k, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			ks = append(ks, kc{k, c})
		}
	}
	slices.SortFunc(ks, func(a, b kc) int { return int(a.k - b.k) })
	rank := max(int64(q*float64(h.N)+0.999999), 1)
	var seen int64
	for _, x := range ks {
		seen += x.c
		if seen >= rank {
			return min(histUpper(x.k), h.Max)
		}
	}
	return h.Max
}

// bitset is one bit per task.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int)    { b[i/64] &^= 1 << (i % 64) }
func (b bitset) put(i int, on bool) {
	if on {
		b.set(i)
	} else {
		b.clear(i)
	}
}

// taskBills are the bills of a task that has any: this run's and earlier runs'.
type taskBills struct {
	current, carried overcast.Bills
	mem              int32
}

// active is what the journal keeps of an unresolved task with activation
// ids or errors (tasks of the local backend have neither).
type active struct {
	ids      []string
	attempts int
}

// tracker is what a Map keeps per task while it runs, a few bits a task,
// and the summary it keeps up to date. Tasks with activation ids,
// failures or bills are kept in maps: few on most jobs.
type tracker struct {
	n                     int
	done, attempted, cold bitset
	actives               map[int]*active
	failures              map[int]*Failure
	// failedNow holds the tasks that failed in this run: final until the
	// next run, whatever late records of their losing copies follow.
	failedNow     map[int]bool
	bills         map[int]*taskBills
	sum           MapSummary
	dirtyFailures map[int]bool
	keepDirty     bool
}

func newTracker(n int) *tracker {
	return &tracker{n: n, done: newBitset(n), attempted: newBitset(n), cold: newBitset(n),
		actives: map[int]*active{}, failures: map[int]*Failure{}, failedNow: map[int]bool{}, bills: map[int]*taskBills{},
		sum:           MapSummary{Tasks: n, Usage: report.Usage{Measured: true, MemoryMB: report.DefaultMemoryMB}},
		dirtyFailures: map[int]bool{}}
}

// newRun starts a run: bills of unresolved tasks become earlier runs'.
func (t *tracker) newRun() {
	clear(t.failedNow)
	for i, b := range t.bills {
		if !t.done.has(i) && len(b.current) > 0 {
			b.carried = append(b.carried, b.current...)
			b.current = nil
		}
	}
}

func (t *tracker) apply(e *event) {
	if e.kind == evOpen {
		t.newRun()
		return
	}
	i := e.i
	if e.kind == evSetRun || i < 0 || i >= t.n {
		return
	}
	switch e.kind {
	case evDispatched:
		if !t.done.has(i) {
			t.addID(i, e.id)
		}
	case evAttempted:
		t.attempt(i, e)
	case evFinished:
		t.finish(i, &e.rec)
	case evFailed:
		t.fail(i, e)
	case evSpent:
		t.setBills(i, e.spent, nil)
	case evCarried:
		b := t.taskBills(i)
		t.sum.Usage.AddBills(e.spent, nil, report.DefaultMemoryMB, 1)
		b.carried = slices.Clone(e.spent)
	}
}

func (t *tracker) addID(i int, id string) {
	if id == "" {
		return
	}
	a := t.actives[i]
	if a == nil {
		a = &active{}
		t.actives[i] = a
	}
	if len(a.ids) > 0 && a.ids[len(a.ids)-1] == id {
		return
	}
	a.ids = append(a.ids, id)
	if len(a.ids) > maxActivations {
		a.ids = slices.Clone(a.ids[len(a.ids)-maxActivations:])
	}
	if f := t.failures[i]; f != nil {
		f.Activations = slices.Clone(a.ids)
		t.markFailure(i)
	}
}

func (t *tracker) attempt(i int, e *event) {
	if t.attempted.has(i) {
		t.sum.Retries++
	}
	t.attempted.set(i)
	if t.done.has(i) || t.failedNow[i] {
		// A losing copy's late attempt: the task stays resolved. A
		// failure of an earlier run is undone, as the task runs again.
		t.addID(i, e.id)
		return
	}
	if _, ok := t.failures[i]; ok {
		delete(t.failures, i)
		t.sum.Failed--
		t.markFailure(i)
	}
	if e.id != "" || e.hasFail || t.actives[i] != nil {
		t.addID(i, e.id)
		if a := t.actives[i]; a != nil {
			a.attempts++
		} else {
			t.actives[i] = &active{attempts: 1}
		}
	}
}

func (t *tracker) finish(i int, rec *overcast.TaskRecord) {
	if t.done.has(i) {
		return
	}
	t.done.set(i)
	t.sum.Done++
	delete(t.failedNow, i)
	if _, ok := t.failures[i]; ok {
		delete(t.failures, i)
		t.sum.Failed--
		t.markFailure(i)
	}
	delete(t.actives, i)
	t.setCold(i, rec.Cold)
	t.sum.ReadBytes += rec.ReadBytes
	t.sum.WrittenBytes += rec.WrittenBytes
	if d := recordDuration(rec); d > 0 {
		t.sum.Durations.Add(d)
	}
	own := *rec
	own.Spent = nil
	t.sum.Usage.AddRecord(&own, report.DefaultMemoryMB)
	if b := t.bills[i]; b != nil && rec.Collected {
		stopped := b.carried.Without(overcast.BillOutrun).Without(overcast.BillFailed)
		t.sum.Usage.AddBills(stopped, rec, report.DefaultMemoryMB, -1)
		b.carried = b.carried.Without(overcast.BillStopped)
	}
	t.setBills(i, rec.Spent, rec)
}

func (t *tracker) fail(i int, e *event) {
	if t.done.has(i) {
		return
	}
	t.setCold(i, e.rec.Cold)
	f := &Failure{Index: i, Attempts: int(e.rec.Attempts), Code: e.code, Error: e.err}
	if a := t.actives[i]; a != nil {
		f.Activations = slices.Clone(a.ids)
		if f.Attempts == 0 {
			f.Attempts = a.attempts
		}
	}
	if f.Attempts == 0 && t.attempted.has(i) {
		f.Attempts = 1
	}
	if _, ok := t.failures[i]; !ok {
		t.sum.Failed++
	}
	t.failures[i] = f
	t.failedNow[i] = true
	t.markFailure(i)
	t.setBills(i, e.rec.Spent, &e.rec)
}

func (t *tracker) markFailure(i int) {
	if t.keepDirty {
		t.dirtyFailures[i] = true
	}
}

func (t *tracker) setCold(i int, cold bool) {
	if t.cold.has(i) != cold {
		if cold {
			t.sum.ColdStarts++
		} else {
			t.sum.ColdStarts--
		}
		t.cold.put(i, cold)
	}
}

func (t *tracker) taskBills(i int) *taskBills {
	b := t.bills[i]
	if b == nil {
		b = &taskBills{}
		t.bills[i] = b
	}
	return b
}

// setBills replaces this run's bills of task i.
func (t *tracker) setBills(i int, bs overcast.Bills, rec *overcast.TaskRecord) {
	b := t.bills[i]
	if b == nil && len(bs) == 0 {
		return
	}
	if b == nil {
		b = t.taskBills(i)
	}
	if rec != nil && rec.MemoryMB != 0 {
		b.mem = rec.MemoryMB
	}
	memRec := &overcast.TaskRecord{MemoryMB: b.mem}
	t.sum.Usage.AddBills(b.current, memRec, report.DefaultMemoryMB, -1)
	t.sum.Usage.AddBills(bs, memRec, report.DefaultMemoryMB, 1)
	b.current = slices.Clone(bs)
}

// pending returns task i's activation ids, newest first, when it is
// neither done nor failed.
func (t *tracker) pending(i int) []string {
	a := t.actives[i]
	if a == nil || t.done.has(i) || t.failures[i] != nil {
		return nil
	}
	ids := slices.Clone(a.ids)
	slices.Reverse(ids)
	return ids
}

// recordDuration is a finished task's duration: the worker's own timing
// when known, else the invocation's.
func recordDuration(r *overcast.TaskRecord) time.Duration {
	switch {
	case r.Start > 0 && r.End > r.Start:
		return time.Duration(r.End - r.Start)
	case r.Invoked > 0 && r.Returned > r.Invoked:
		return time.Duration(r.Returned - r.Invoked)
	}
	return 0
}
