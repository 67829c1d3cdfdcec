package overcast_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// keepingDriver is an asynchronous platform that keeps finished attempts:
// it gives each attempt an id, reports it as dispatched, and answers Fetch.
type keepingDriver struct {
	mu      sync.Mutex
	kept    map[string][]byte
	invoked map[int]int
	fetched int
}

func (d *keepingDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	id := "act-" + strconv.Itoa(inv.Index) + "-" + strconv.Itoa(inv.Attempt)
	if inv.Dispatched != nil {
		inv.Dispatched(id)
	}
	out := worker.Handle(ctx, inv.Payload)
	d.mu.Lock()
	d.invoked[inv.Index]++
	d.kept[id] = out
	d.mu.Unlock()
	return &driver.Activation{ID: id, Payload: out}, nil
}

func (d *keepingDriver) Fetch(ctx context.Context, id string) (*driver.Activation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fetched++
	out, ok := d.kept[id]
	if !ok {
		return nil, errNotKept
	}
	return &driver.Activation{ID: id, Payload: out}, nil
}

var errNotKept = errors.New("no such activation")

func (d *keepingDriver) Capacity() int { return 4 }
func (d *keepingDriver) ErrorCode(err error) driver.ErrorCode {
	if errors.Is(err, errNotKept) {
		return driver.NotFound
	}
	return driver.Unknown
}
func (d *keepingDriver) Close() error { return nil }

// dispatchJournal is a memJournal that also keeps dispatched ids.
type dispatchJournal struct {
	memJournal
	pending    map[int][]string
	dispatched map[int][]string
}

func (m *dispatchJournal) Job(id string, seq int, task string, n int) (overcast.JobLog, error) {
	return m, nil
}
func (m *dispatchJournal) Dispatched(i, attempt int, id string) {
	m.mu.Lock()
	m.dispatched[i] = append(m.dispatched[i], id)
	m.mu.Unlock()
}
func (m *dispatchJournal) Pending(i int) []string { return m.pending[i] }

func TestResumeCollectsWhatFinishedWhileAway(t *testing.T) {
	d := &keepingDriver{kept: map[string][]byte{}, invoked: map[int]int{}}
	// An earlier run dispatched tasks 2 and 5; task 2 finished on the
	// platform, task 5's activation is gone.
	d.kept["act-2-1"] = worker.Handle(context.Background(), []byte(`{"task":"test/double","index":2,"input":2}`))
	// Task 6's earlier attempt failed: it runs again, and its record is
	// that of the new attempt, not a collected one.
	d.kept["act-6-0"] = worker.Handle(context.Background(), []byte(`{"task":"test/double","index":6,"input":-1}`))
	j := &dispatchJournal{memJournal: memJournal{outs: map[int][]byte{}, finished: map[int]int{}},
		pending: map[int][]string{2: {"act-2-1"}, 5: {"act-5-1"}, 6: {"act-6-0"}}, dispatched: map[int][]string{}}
	ex := overcast.NewExecutorFor(backend.New("keeping", d), &overcast.Options{Journal: j, JobID: "away"})
	f := overcast.Map[int, int](context.Background(), ex, "test/double", ints(8))
	outs, err := f.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if outs[2] != 4 || outs[5] != 10 {
		t.Fatalf("outs = %v", outs)
	}
	if d.invoked[2] != 0 || d.invoked[5] != 1 || d.invoked[6] != 1 || d.fetched != 3 {
		t.Fatalf("invoked %v, fetched %d; want task 2 collected, task 5 invoked again", d.invoked, d.fetched)
	}
	if rec := f.Report().Records.At(2); !rec.Collected || rec.BackendID != "act-2-1" {
		t.Fatalf("record 2 = %+v", rec)
	}
	if rec := f.Report().Records.At(6); rec.Collected || rec.BackendID != "act-6-1" || outs[6] != 12 {
		t.Fatalf("record 6 = %+v, output %d; want invoked again", rec, outs[6])
	}
	if len(j.dispatched[0]) != 1 || j.dispatched[0][0] != "act-0-1" {
		t.Fatalf("dispatched ids %v not journaled", j.dispatched)
	}
}
