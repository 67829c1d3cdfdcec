// Package rotation spreads a driver's invocations over several endpoints
// round-robin and takes an endpoint that stops answering out of rotation
// until a prober finds it back, telling a driver.Observer both times. The
// lambda and http drivers share it.
package rotation

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Probing of an endpoint taken out of rotation: the first probe after
// probeFirst, then at doubling intervals up to probeMax.
const (
	probeFirst = 250 * time.Millisecond
	probeMax   = 5 * time.Second
	// ProbeTimeout bounds one probe; Probe functions use it.
	ProbeTimeout = 2 * time.Second
)

// Options configure a Rotation.
type Options struct {
	// URLs name the endpoints, as the Observer is told them.
	URLs []string
	// PerEndpoint is how many invocations each endpoint takes at once; the
	// Rotation's capacity is PerEndpoint times the number of endpoints.
	PerEndpoint int
	// Probe reports whether endpoint i answers at all; it is called with a
	// context that ends after ProbeTimeout.
	Probe func(ctx context.Context, i int) bool
	// Unreachable is the error Take returns while no endpoint answers;
	// last is the error that took the last one down.
	Unreachable func(last error) error
}

// Rotation tracks which of a driver's endpoints answer. Its slots, one per
// invocation an endpoint takes at once, are handed out in turn; the slots
// of an endpoint that refused a connection are parked rather than handed
// out, so that invocations go to the others; a prober asks it with backoff
// and puts its slots back once it answers. With no endpoint left, Take
// fails at once and the scheduler waits for the platform.
type Rotation struct {
	opts  Options
	slots chan int
	obs   atomic.Pointer[driver.Observer]

	mu     sync.Mutex
	down   []bool
	parked []int
	have   []int // slots of each endpoint, handed out, free or parked
	want   []int // slots each endpoint should have (see Limit)
	live   int
	dead   chan struct{} // closed while no endpoint answers
	last   error         // what took the last endpoint down

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a Rotation with every endpoint in rotation. The slots
// interleave the endpoints, so consecutive invocations go to different
// ones.
func New(o Options) *Rotation {
	n := len(o.URLs)
	per := max(o.PerEndpoint, 1)
	r := &Rotation{opts: o, slots: make(chan int, per*n), down: make([]bool, n),
		parked: make([]int, n), have: make([]int, n), want: make([]int, n),
		live: n, dead: make(chan struct{}), stop: make(chan struct{})}
	for range per {
		for i := range n {
			r.slots <- i
		}
	}
	for i := range n {
		r.have[i], r.want[i] = per, per
	}
	return r
}

// Limit sets how many invocations endpoint i takes at once, when it said
// so (an HTTP worker's concurrency): between 1 and PerEndpoint. Slots
// over it are retired as they come back; slots under it are added.
func (r *Rotation) Limit(i, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.want[i] = min(max(n, 1), max(r.opts.PerEndpoint, 1))
	for ; r.have[i] < r.want[i]; r.have[i]++ {
		if r.down[i] {
			r.parked[i]++
		} else {
			r.slots <- i // never blocks: the channel holds every slot
		}
	}
}

// Capacity returns the number of slots.
func (r *Rotation) Capacity() int { return cap(r.slots) }

// Observe sets the Observer told when an endpoint goes out of rotation
// and when it comes back.
func (r *Rotation) Observe(o driver.Observer) { r.obs.Store(&o) }

// Take returns a free slot of an endpoint in rotation: the endpoint's
// index. The caller gives it back with Put.
func (r *Rotation) Take(ctx context.Context) (int, error) {
	for {
		r.mu.Lock()
		dead := r.dead
		r.mu.Unlock()
		select {
		case i := <-r.slots:
			if r.put(i, true) {
				return i, nil
			}
		case <-dead:
			return -1, r.unreachable()
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}

// Put gives back a slot of endpoint i that Take returned.
func (r *Rotation) Put(i int) { r.put(i, false) }

// put hands slot i back: to the free slots, or parked while its endpoint
// is down. With taking set it keeps the slot of a live endpoint instead
// and reports true.
func (r *Rotation) put(i int, taking bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.have[i] > r.want[i]: // over the endpoint's limit: retired
		r.have[i]--
		return false
	case r.down[i]:
		r.parked[i]++
		return false
	case taking:
		return true
	}
	r.slots <- i // never blocks: the channel holds every slot
	return false
}

func (r *Rotation) unreachable() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opts.Unreachable(r.last)
}

// Fail takes endpoint i out of rotation after err, once, and starts
// probing it.
func (r *Rotation) Fail(i int, err error) {
	r.mu.Lock()
	if r.down[i] {
		r.mu.Unlock()
		return
	}
	r.down[i] = true
	r.last = err
	if r.live--; r.live == 0 {
		close(r.dead)
	}
	r.mu.Unlock()
	r.tell(i, err)
	r.wg.Add(1)
	go r.probe(i)
}

// probe asks endpoint i with backoff until it answers or the Rotation
// closes.
func (r *Rotation) probe(i int) {
	defer r.wg.Done()
	delay := probeFirst
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.stop:
			t.Stop()
			return
		}
		if r.answers(i) {
			r.revive(i)
			return
		}
		delay = min(2*delay, probeMax)
	}
}

func (r *Rotation) answers(i int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), ProbeTimeout)
	defer cancel()
	return r.opts.Probe(ctx, i)
}

// revive puts endpoint i back in rotation with its parked slots.
func (r *Rotation) revive(i int) {
	r.mu.Lock()
	r.down[i] = false
	if r.live++; r.live == 1 {
		r.dead = make(chan struct{})
	}
	for ; r.parked[i] > 0; r.parked[i]-- {
		r.slots <- i
	}
	r.mu.Unlock()
	r.tell(i, nil)
}

// tell reports endpoint i going (err) or coming back (nil) to the
// Observer. With one endpoint there is no rotation to speak of: the
// scheduler reports the platform unreachable.
func (r *Rotation) tell(i int, err error) {
	if o := r.obs.Load(); o != nil && len(r.opts.URLs) > 1 {
		(*o).Endpoint(r.opts.URLs[i], err)
	}
}

// Close stops the probers.
func (r *Rotation) Close() {
	close(r.stop)
	r.wg.Wait()
}
