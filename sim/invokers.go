package sim

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// invokerPool models a cluster's invokers: each has userMemory MB for
// action containers, and an activation holds its action's memory on one
// while it runs. An activation that finds no invoker with room waits in
// one's queue, as OpenWhisk's load balancer sends it to an invoker that
// runs it when an action there ends.
type invokerPool struct {
	mem        []*semaphore.Weighted
	userMemory int
	next       atomic.Uint64
}

// newInvokerPool returns n invokers of userMemory MB each, or nil for no
// bound.
func newInvokerPool(n, userMemory int) *invokerPool {
	if n <= 0 {
		return nil
	}
	p := &invokerPool{userMemory: userMemory}
	for range n {
		p.mem = append(p.mem, semaphore.NewWeighted(int64(userMemory)))
	}
	return p
}

// acquire holds memoryMB on an invoker with room, waiting for one when
// none has; release gives it back. It fails when no invoker could ever
// hold the action, or ctx ends first.
func (p *invokerPool) acquire(ctx context.Context, memoryMB int) (release func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	if memoryMB > p.userMemory {
		return nil, fmt.Errorf("no invoker holds an action of %d MB (user memory %d MB)", memoryMB, p.userMemory)
	}
	w := int64(memoryMB)
	home := int(p.next.Add(1) % uint64(len(p.mem)))
	for i := range p.mem {
		s := p.mem[(home+i)%len(p.mem)]
		if s.TryAcquire(w) {
			return func() { s.Release(w) }, nil
		}
	}
	s := p.mem[home]
	if err := s.Acquire(ctx, w); err != nil {
		return nil, err
	}
	return func() { s.Release(w) }, nil
}

// invokerHealth answers GET /invokers as a controller does: each
// invoker's name and health. Without modeled invokers it answers 404.
func (s *Server) invokerHealth(w http.ResponseWriter, r *http.Request) {
	if s.invokers == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	health := map[string]string{}
	for i := range s.invokers.mem {
		health[fmt.Sprintf("invoker%d/sim-invoker-%d", i, i)] = "up"
	}
	writeJSON(w, http.StatusOK, health)
}
