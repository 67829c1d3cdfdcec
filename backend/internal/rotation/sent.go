package rotation

import (
	"context"
	"net/http/httptrace"
	"sync"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Sent calls an Invocation's Dispatched once its request was written, as
// long as the caller still waits for it, and remembers whether it was.
type Sent struct {
	inv    *driver.Invocation
	mu     sync.Mutex
	wrote  bool
	called bool
	gone   bool
}

// NewSent returns the mark of inv's request.
func NewSent(inv *driver.Invocation) *Sent {
	return &Sent{inv: inv}
}

// Trace returns ctx with a trace that marks the request sent once its
// headers are written.
func (m *Sent) Trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: m.wroteHeaders})
}

func (m *Sent) wroteHeaders() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wrote = true
	if !m.called && !m.gone && m.inv.Dispatched != nil {
		m.called = true
		m.inv.Dispatched("")
	}
}

// Wrote reports whether a request traced with Trace had its headers
// written: whether the platform may have received it.
func (m *Sent) Wrote() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wrote
}

// GiveUp stops later calls: the attempt's record is no longer the
// invocation's to write.
func (m *Sent) GiveUp() {
	m.mu.Lock()
	m.gone = true
	m.mu.Unlock()
}
