package overcast_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// awayDriver runs tasks in process while its platform is up; while it is
// down every Invoke really dials a closed port and returns that error, as
// an HTTP driver would.
type awayDriver struct {
	addr  string
	down  atomic.Bool
	calls atomic.Int64 // invocations while down
	// downAt, when positive, takes the platform down at that invocation.
	downAt int64
	served atomic.Int64
}

func (d *awayDriver) Invoke(ctx context.Context, inv *driver.Invocation) (*driver.Activation, error) {
	if d.served.Add(1) == d.downAt {
		d.down.Store(true)
	}
	if d.down.Load() {
		d.calls.Add(1)
		_, err := http.Post("http://"+d.addr+"/invoke", "application/json", nil)
		return nil, err
	}
	return &driver.Activation{ID: "a", Payload: worker.Handle(ctx, inv.Payload)}, nil
}
func (d *awayDriver) Capacity() int { return 4 }
func (d *awayDriver) ErrorCode(err error) driver.ErrorCode {
	var ne net.Error
	if errors.As(err, &ne) {
		return driver.Unreachable
	}
	return driver.Unknown
}
func (d *awayDriver) Close() error { return nil }

// eventLog keeps the kinds of events in order.
type eventLog struct {
	mu     sync.Mutex
	events []overcast.Event
	onDown func()
}

func (l *eventLog) Report(e overcast.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	if e.Kind == overcast.PlatformUnreachable && l.onDown != nil {
		go l.onDown()
	}
}

func (l *eventLog) count(k overcast.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// index returns the position of the first event of kind k, or -1.
func (l *eventLog) index(k overcast.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.events {
		if e.Kind == k {
			return i
		}
	}
	return -1
}

// TestOutageIsWaitedOutAndReportedOnce takes the platform away after some
// tasks and brings it back once the job has said so: the job reports the
// outage once and the recovery once, in that order, no task fails although
// every task's attempts while away exceed MaxAttempts, and the answer is
// exact.
func TestOutageIsWaitedOutAndReportedOnce(t *testing.T) {
	d := &awayDriver{addr: closedPort(t), downAt: 20}
	log := &eventLog{}
	log.onDown = func() {
		// Let the job probe a few times, then bring the platform back.
		for d.calls.Load() < 12 {
			time.Sleep(time.Millisecond)
		}
		d.down.Store(false)
	}
	in := ints(200)
	ex := overcast.NewExecutorFor(backend.New("away", d), &overcast.Options{MaxAttempts: 2, Reporter: log,
		BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond, OutageWait: time.Hour})
	outs, err := overcast.Map[int, int](context.Background(), ex, "test/double", in).Wait(context.Background())
	if err != nil {
		t.Fatalf("job failed: %v", err)
	}
	for i, o := range outs {
		if o != 2*i {
			t.Fatalf("out[%d] = %d", i, o)
		}
	}
	if n, m := log.count(overcast.PlatformUnreachable), log.count(overcast.PlatformReachable); n != 1 || m != 1 {
		t.Fatalf("%d unreachable and %d reachable events, want one each", n, m)
	}
	down, up := log.index(overcast.PlatformUnreachable), log.index(overcast.PlatformReachable)
	if down > up {
		t.Errorf("the platform was reported back (event %d) before it was reported away (event %d)", up, down)
	}
	e := log.events[down]
	if !strings.HasPrefix(overcast.Gist(e.Err), "connection refused to 127.0.0.1:") || e.Delay != time.Hour {
		t.Errorf("unreachable event: %q, wait %v", overcast.Gist(e.Err), e.Delay)
	}
}

// TestOutageStopsJobAfterItsWait never brings the platform back: the job
// stops once its outage wait is over, with every task unfinished rather
// than failed and a short error saying why.
func TestOutageStopsJobAfterItsWait(t *testing.T) {
	for _, wait := range []time.Duration{50 * time.Millisecond, -1} {
		d := &awayDriver{addr: closedPort(t)}
		d.down.Store(true)
		log := &eventLog{}
		ex := overcast.NewExecutorFor(backend.New("away", d), &overcast.Options{Reporter: log, OutageWait: wait,
			BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond})
		_, err := overcast.Map[int, int](context.Background(), ex, "test/double", ints(300)).Wait(context.Background())
		var je *overcast.JobError
		var oe *overcast.OutageError
		if !errors.As(err, &je) || !errors.As(err, &oe) {
			t.Fatalf("wait %v: error %v (%T), want a *JobError caused by an *OutageError", wait, err, err)
		}
		if je.Unfinished != 300 || len(je.Failed) != 0 {
			t.Errorf("wait %v: %d unfinished, %d failed; want 300 unfinished, none failed", wait, je.Unfinished, len(je.Failed))
		}
		msg := err.Error()
		if !strings.Contains(msg, "stopped: the platform was unreachable for") || !strings.Contains(msg, "(connection refused to "+d.addr+")") || len(msg) > 200 {
			t.Errorf("wait %v: error %q", wait, msg)
		}
		if log.count(overcast.PlatformUnreachable) != 1 || log.count(overcast.Failed) != 0 ||
			log.index(overcast.PlatformUnreachable) > log.index(overcast.JobFinished) {
			t.Errorf("wait %v: events %v", wait, log.events)
		}
	}
}

// TestJobErrorSummarizesByKind fails many tasks with a few kinds of error:
// the message counts each kind once instead of repeating its error.
func TestJobErrorSummarizesByKind(t *testing.T) {
	ex, _ := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
		if inv.Index%10 == 0 {
			return driver.OK
		}
		return driver.Crashed
	}, &overcast.Options{MaxAttempts: 2})
	in := ints(300)
	for i := 0; i < 300; i += 50 {
		in[i] = -1
	}
	_, err := overcast.Map[int, int](context.Background(), ex, "test/double", in).Wait(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	want := "276 of 300 test/double tasks failed: 270 crashed (injected crashed; tasks 1, 2, 3 and 267 more); " +
		"6 failed in the task (negative input; tasks 0, 50, 100 and 3 more)"
	if msg != want {
		t.Errorf("error\n%s\nwant\n%s", msg, want)
	}
}

func TestGistOfConnectionErrors(t *testing.T) {
	addr := closedPort(t)
	_, err := http.Get("http://" + addr + "/api/v1/namespaces/guest/actions/overcast?blocking=false")
	if err == nil {
		t.Fatal("a closed port answered")
	}
	if got, want := overcast.Gist(err), "connection refused to "+addr; got != want {
		t.Errorf("Gist(%v) = %q, want %q", err, got, want)
	}
	if got := overcast.Gist(errors.New(strings.Repeat("x", 500))); len([]rune(got)) != 160 {
		t.Errorf("a long error's gist has %d characters, want 160", len([]rune(got)))
	}
}
