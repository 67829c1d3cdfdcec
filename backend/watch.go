package backend

import (
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Signal is something a driver learned about its platform besides an
// attempt's result (see driver.Observer).
type Signal struct {
	// Endpoint names the one endpoint of several the signal is about;
	// empty means the platform.
	Endpoint string
	// At is when the platform answered (Err nil) or when the request that
	// failed was sent.
	At time.Time
	// Err is nil when the platform (or Endpoint) answered; Code classifies
	// it, Unreachable for a connection that failed.
	Err  error
	Code ErrorCode
}

// Watch calls f with every Signal the driver reports until stop is called.
// Drivers that report nothing (no driver.Observed) never call it.
func (b *Backend) Watch(f func(Signal)) (stop func()) {
	return b.watchers.add(f)
}

// watchers is the backend's driver.Observer: it classifies what the
// driver reports and hands it to every watcher.
type watchers struct {
	b    *Backend
	mu   sync.Mutex
	next int
	fs   map[int]func(Signal)
}

func (w *watchers) add(f func(Signal)) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fs == nil {
		w.fs = make(map[int]func(Signal))
	}
	id := w.next
	w.next++
	w.fs[id] = f
	return func() {
		w.mu.Lock()
		delete(w.fs, id)
		w.mu.Unlock()
	}
}

func (w *watchers) send(s Signal) {
	if s.Err != nil {
		s.Code = w.b.d.ErrorCode(s.Err)
	} else {
		s.Code = driver.OK
	}
	w.mu.Lock()
	fs := make([]func(Signal), 0, len(w.fs))
	for _, f := range w.fs {
		fs = append(fs, f)
	}
	w.mu.Unlock()
	for _, f := range fs {
		f(s)
	}
}

// Request reports a request the driver made on its own (driver.Observer).
func (w *watchers) Request(sent time.Time, err error) {
	at := sent
	if err == nil {
		at = time.Now()
	}
	w.send(Signal{At: at, Err: err})
}

// Endpoint reports an endpoint that stopped or resumed answering
// (driver.Observer).
func (w *watchers) Endpoint(url string, err error) {
	w.send(Signal{Endpoint: url, At: time.Now(), Err: err})
}
