package overcast

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/internal/ctxtime"
)

// Speculation configures backup tasks, as in MapReduce: when most tasks
// are done, a task running much longer than the median gets a second copy;
// the first result wins and the other is ignored.
type Speculation struct {
	// Disable turns backup tasks off.
	Disable bool
	// After is the fraction of tasks that must be done first; zero means 0.8.
	After float64
	// Factor is how many medians a task must run to be a straggler; zero means 3.
	Factor float64
	// Min is the least running time of a straggler; zero means 100 ms.
	Min time.Duration
}

// speculation is a job's backup-task state.
type speculation struct {
	enabled       bool
	after, factor float64
	min           time.Duration
	mu            sync.Mutex
	copies        map[int]*copies
	// launched counts the backup copies that made an attempt; wins those
	// whose result was taken.
	launched, wins atomic.Int64
}

func (s *speculation) init(o Speculation) {
	s.enabled = !o.Disable
	s.copies = make(map[int]*copies)
	s.after, s.factor, s.min = o.After, o.Factor, o.Min
	if s.after <= 0 || s.after > 1 {
		s.after = 0.8
	}
	if s.factor <= 0 {
		s.factor = 3
	}
	if s.min <= 0 {
		s.min = 100 * time.Millisecond
	}
}

// median estimates the median duration of finished tasks, from dispatch
// to answer (time queued in the driver does not count), from a sample of
// up to 1,024 of them spread over the job. A record is read only after its
// state says done, which is stored after the record is written.
func (j *job) median() time.Duration {
	step := max(1, j.n/1024)
	var d []time.Duration
	for i := 0; i < j.n; i += step {
		if j.state[i].Load() == stateDone {
			if r := j.records.At(i); !r.Resumed {
				d = append(d, time.Duration(r.Returned-max(r.Invoked, r.Dispatched)))
			}
		}
	}
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// maxBackups caps the backup copies of one task.
const maxBackups = 3

// copies tracks the backup copies of one task.
type copies struct {
	launched, running int
	last              int64 // when a copy last started an attempt, Unix ns
	// code and err are the last failed attempt of a backup copy: the
	// task's error when backups used up its attempts.
	code backend.ErrorCode
	err  error
}

// speculate watches for stragglers until the job's tasks are resolved or
// ctx is done. A straggler gets a backup copy; it gets another when its
// copies have failed or straggle too, up to maxBackups, while the task has
// attempts left (its copies share MaxAttempts). Backups are added to wg.
func (j *job) speculate(ctx context.Context, wg *sync.WaitGroup) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	low := 0 // every task below it is resolved: a job of millions is not scanned whole
	for {
		select {
		case <-ctx.Done():
			return
		case <-j.allDone:
			return
		case <-tick.C:
		}
		done := j.n - int(j.remaining.Load())
		if float64(done) < j.spec.after*float64(j.n) {
			continue
		}
		limit := int64(max(time.Duration(j.spec.factor*float64(j.median())), j.spec.min))
		now := time.Now().UnixNano()
		next := min(int(j.next.Load()), j.n) // no task from here on started
		for low < next && j.final(low) {
			low++
		}
		for i := low; i < next; i++ {
			// A task whose first attempt has not begun (invoked is zero)
			// is not a straggler: its copy is still building its request.
			inv := j.invoked[i].Load()
			if j.state[i].Load() != stateRunning || inv == 0 || now-inv < limit ||
				int(j.tries[i].Load()) >= j.ex.opts.MaxAttempts || !j.spec.claimBackup(i, now, limit) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.backup(ctx, i)
			}()
		}
	}
}

// claimBackup reports whether task i should get a backup copy now: it has
// fewer than maxBackups, and none of them is running an attempt younger
// than limit.
func (s *speculation) claimBackup(i int, now, limit int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.copies[i]
	if c == nil {
		c = &copies{}
		s.copies[i] = c
	}
	if c.launched >= maxBackups || (c.running > 0 && now-c.last < limit) {
		return false
	}
	c.launched++
	c.running++
	c.last = now
	return true
}

func (s *speculation) started(i int) {
	s.mu.Lock()
	s.copies[i].last = time.Now().UnixNano()
	s.mu.Unlock()
}

// failed records a backup copy's failed attempt of task i.
func (s *speculation) failed(i int, code backend.ErrorCode, err error) {
	s.mu.Lock()
	s.copies[i].code, s.copies[i].err = code, err
	s.mu.Unlock()
}

// lastError returns the last failed attempt of task i's backup copies, or
// a nil error when none failed.
func (s *speculation) lastError(i int) (backend.ErrorCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.copies[i]
	if c == nil {
		return backend.OK, nil
	}
	return c.code, c.err
}

func (s *speculation) ended(i int) {
	s.mu.Lock()
	s.copies[i].running--
	s.mu.Unlock()
}

// backup runs an extra copy of task i, retrying platform errors with
// backoff as the original does. Its failure does not fail the task: the
// original copy is still running and retries on its own.
func (j *job) backup(ctx context.Context, i int) {
	defer j.spec.ended(i)
	req, err := j.request(ctx, i)
	if err != nil {
		return
	}
	for tries := 1; ; tries++ {
		if !j.reserve(i) {
			return // the task's attempts are used up; the original fails it
		}
		if tries == 1 {
			j.spec.launched.Add(1) // a copy that makes no attempt is no backup
		} else {
			j.retries.Add(1)
		}
		rec := TaskRecord{Backup: true}
		j.spec.started(i)
		code, err := j.attempt(ctx, i, req, &rec, true)
		if code != backend.OK && err != nil {
			j.spec.failed(i, code, err)
		}
		if code == backend.OK {
			// rec is this copy's own: its state says whether its output
			// was taken, without reading the task's record, which the
			// winning copy may be writing.
			if rec.State == Done {
				j.spec.wins.Add(1)
			}
			return
		}
		if j.final(i) || !code.Retryable() || code == backend.Unreachable || !ctxtime.Sleep(ctx, j.backoff(tries)) {
			return
		}
	}
}
