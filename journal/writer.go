package journal

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Batching: the writer commits queued records every batchInterval, or as
// soon as batchSize are queued. Producers wait while maxQueued are queued,
// so that a driver faster than its disk neither grows without bound nor
// leaves much to write when it stops.
const (
	batchInterval = 100 * time.Millisecond
	batchSize     = 8192
	maxQueued     = 8 * batchSize
)

// writer owns a job's open file. Producers queue events under mu; one
// goroutine applies them to the in-memory state and commits them.
type writer struct {
	db  *bolt.DB
	dir string

	mu      sync.Mutex
	drained *sync.Cond // signaled when the writer takes the queue
	queue   []event
	stopped bool
	err     error // the first write error
	maps    map[int]*mapState

	kick  chan struct{}
	flush chan chan error
	stop  chan struct{}
	done  chan struct{}

	// Owned by the writer goroutine.
	spare    []event // the queue's other buffer
	sum      Summary
	runStart time.Time
	prevWall float64
	result   []byte
}

func startWriter(db *bolt.DB, dir string, sum *Summary) *writer {
	w := &writer{db: db, dir: dir, maps: map[int]*mapState{}, sum: *sum,
		kick: make(chan struct{}, 1), flush: make(chan chan error), stop: make(chan struct{}),
		done: make(chan struct{}), runStart: time.Now(), prevWall: sum.WallSeconds}
	w.drained = sync.NewCond(&w.mu)
	w.err = w.writeStatus()
	go w.loop()
	return w
}

// push queues an event; events after the end are dropped (losing copies of
// backed-up tasks may report after their Map closed).
func (w *writer) push(e event) {
	w.mu.Lock()
	for len(w.queue) >= maxQueued && !w.stopped {
		w.kickLocked()
		w.drained.Wait()
	}
	if w.stopped {
		w.mu.Unlock()
		return
	}
	w.queue = append(w.queue, e)
	full := len(w.queue) >= batchSize
	w.mu.Unlock()
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// kickLocked asks the writer to commit now.
func (w *writer) kickLocked() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *writer) loop() {
	defer close(w.done)
	t := time.NewTicker(batchInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.commitQueued()
		case <-w.kick:
			w.commitQueued()
		case reply := <-w.flush:
			reply <- w.commitQueued()
		case <-w.stop:
			w.commitQueued()
			return
		}
	}
}

// sync commits everything queued so far and returns the first write error.
func (w *writer) sync() error {
	reply := make(chan error)
	select {
	case w.flush <- reply:
		return <-reply
	case <-w.done:
		return w.firstErr()
	}
}

// end queues the job's outcome, commits, stops the writer and closes the file.
func (w *writer) end(state State, result []byte) error {
	w.push(event{kind: evEnd, state: state, out: result})
	w.mu.Lock()
	w.stopped = true
	w.drained.Broadcast()
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	err := w.firstErr()
	if cerr := w.db.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *writer) firstErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// commitQueued applies and commits the queued events; it returns the first
// write error so far.
func (w *writer) commitQueued() error {
	w.mu.Lock()
	evs := w.queue
	w.queue, w.spare = w.spare, nil
	w.drained.Broadcast()
	w.mu.Unlock()
	if len(evs) == 0 {
		w.spare = evs
		return w.firstErr()
	}
	for i := range evs {
		w.apply(&evs[i])
	}
	clear(evs)
	w.spare = evs[:0]
	w.updateSummary()
	err := w.db.Update(w.store)
	if err == nil {
		err = w.writeStatus()
	}
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	err = w.err
	w.mu.Unlock()
	return err
}

func (w *writer) apply(e *event) {
	if e.kind == evEnd {
		w.sum.State, w.result = e.state, e.out
		return
	}
	e.m.apply(e)
}

// updateSummary recounts the job's tasks and times.
func (w *writer) updateSummary() {
	w.mu.Lock()
	s := &w.sum
	s.Tasks, s.DoneTasks, s.FailedTasks = 0, 0, 0
	for _, m := range w.maps {
		s.Tasks += m.meta.N
		s.DoneTasks += m.t.sum.Done
		s.FailedTasks += m.t.sum.Failed
	}
	w.mu.Unlock()
	s.Updated = time.Now()
	s.WallSeconds = w.prevWall + s.Updated.Sub(w.runStart).Seconds()
}

// store writes the dirty state in one transaction.
func (w *writer) store(tx *bolt.Tx) error {
	w.mu.Lock()
	maps := make([]*mapState, 0, len(w.maps))
	for _, m := range w.maps {
		maps = append(maps, m)
	}
	w.mu.Unlock()
	mb := tx.Bucket(bucketMaps)
	for _, m := range maps {
		if err := m.store(mb); err != nil {
			return err
		}
	}
	jb := tx.Bucket(bucketJob)
	if w.result != nil {
		if err := jb.Put(keyResult, w.result); err != nil {
			return err
		}
	}
	return putJSON(jb, keyStatus, &w.sum)
}

// writeStatus mirrors the summary into the status file, for watchers of a
// live job. It is advisory: not synced.
func (w *writer) writeStatus() error {
	data, err := json.Marshal(&w.sum)
	if err != nil {
		return err
	}
	tmp := filepath.Join(w.dir, statusName+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(w.dir, statusName))
}
