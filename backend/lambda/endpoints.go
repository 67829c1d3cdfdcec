package lambda

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Probing of an endpoint taken out of rotation: the first probe after
// probeFirst, then at doubling intervals up to probeMax.
const (
	probeFirst   = 250 * time.Millisecond
	probeMax     = 5 * time.Second
	probeTimeout = 2 * time.Second
)

// endpoints tracks which of the driver's endpoints answer. The slots of an
// endpoint that refused a connection are parked rather than handed out,
// so that invocations go to the others; a prober asks it with backoff and
// puts its slots back once it answers. With no endpoint left, Invoke fails
// at once with Unreachable and the scheduler waits for the platform.
type endpoints struct {
	urls  []string
	slots chan int
	http  aws.HTTPClient
	obs   atomic.Pointer[driver.Observer]

	mu     sync.Mutex
	down   []bool
	parked []int
	live   int
	dead   chan struct{} // closed while no endpoint answers
	last   error         // what took the last endpoint down

	stop chan struct{}
	wg   sync.WaitGroup
}

func newEndpoints(urls []string, slots chan int, hc aws.HTTPClient) *endpoints {
	return &endpoints{urls: urls, slots: slots, http: hc, down: make([]bool, len(urls)),
		parked: make([]int, len(urls)), live: len(urls), dead: make(chan struct{}), stop: make(chan struct{})}
}

// take returns a free slot of an endpoint in rotation.
func (e *endpoints) take(ctx context.Context) (int, error) {
	for {
		e.mu.Lock()
		dead := e.dead
		e.mu.Unlock()
		select {
		case i := <-e.slots:
			if e.put(i, true) {
				return i, nil
			}
		case <-dead:
			return -1, e.unreachable()
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}

// put hands slot i back: to the free slots, or parked while its endpoint
// is down. With taking set it keeps the slot of a live endpoint instead
// and reports true.
func (e *endpoints) put(i int, taking bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.down[i]:
		e.parked[i]++
		return false
	case taking:
		return true
	}
	e.slots <- i // never blocks: the channel holds every slot
	return false
}

func (e *endpoints) unreachable() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &Error{Code: driver.Unreachable, Msg: "no endpoint answers", Err: e.last}
}

// fail takes endpoint i out of rotation after err, once, and starts
// probing it.
func (e *endpoints) fail(i int, err error) {
	e.mu.Lock()
	if e.down[i] {
		e.mu.Unlock()
		return
	}
	e.down[i] = true
	e.last = err
	if e.live--; e.live == 0 {
		close(e.dead)
	}
	e.mu.Unlock()
	e.tell(i, err)
	e.wg.Add(1)
	go e.probe(i)
}

// probe asks endpoint i with backoff until it answers or the driver closes.
func (e *endpoints) probe(i int) {
	defer e.wg.Done()
	delay := probeFirst
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-e.stop:
			t.Stop()
			return
		}
		if e.answers(i) {
			e.revive(i)
			return
		}
		delay = min(2*delay, probeMax)
	}
}

// answers reports whether endpoint i answers HTTP at all.
func (e *endpoints) answers(i int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.urls[i]+"/", nil)
	if err != nil {
		return false
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// revive puts endpoint i back in rotation with its parked slots.
func (e *endpoints) revive(i int) {
	e.mu.Lock()
	e.down[i] = false
	if e.live++; e.live == 1 {
		e.dead = make(chan struct{})
	}
	for ; e.parked[i] > 0; e.parked[i]-- {
		e.slots <- i
	}
	e.mu.Unlock()
	e.tell(i, nil)
}

// tell reports endpoint i going (err) or coming back (nil) to the
// Observer. With one endpoint there is no rotation to speak of: the
// scheduler reports the platform unreachable.
func (e *endpoints) tell(i int, err error) {
	if o := e.obs.Load(); o != nil && len(e.urls) > 1 {
		(*o).Endpoint(e.urls[i], err)
	}
}

// close stops the probers.
func (e *endpoints) close() {
	close(e.stop)
	e.wg.Wait()
}
