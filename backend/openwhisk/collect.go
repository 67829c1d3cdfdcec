package openwhisk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Collector tuning.
const (
	listPage        = 200                    // the API's largest page
	pagesAtOnce     = 8                      // pages a sweep asks for in parallel
	sweepMin        = 20 * time.Millisecond  // pause after a sweep that found records
	sweepMax        = 150 * time.Millisecond // longest pause between sweeps
	sweepDown       = 2 * time.Second        // longest pause while sweeps fail
	sinceMargin     = 3 * time.Second        // clock resolution and skew allowance
	getGrace        = 10 * time.Second       // unseen this long: ask by id
	maxFallbackGETs = 16                     // by-id requests in flight at once
)

// collector gathers the records of many activations with few requests: one
// goroutine lists the action's activations since the oldest one awaited,
// a page of 200 at a time, and hands each record to the Invoke awaiting
// its id. An id not seen in listings for a while is asked for by id, in
// case the listing lags.
type collector struct {
	c      *Client
	action string
	obs    *observer

	mu      sync.Mutex
	pending map[string]*waiter
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	gets    chan struct{}
}

type waiter struct {
	ch        chan *Activation
	submitted time.Time
	nextGet   time.Time
	getting   bool
}

func newCollector(c *Client, action string, obs *observer) *collector {
	k := &collector{c: c, action: action, obs: obs, pending: map[string]*waiter{}, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}), gets: make(chan struct{}, maxFallbackGETs)}
	go k.run()
	return k
}

func (k *collector) close() {
	k.once.Do(func() { close(k.stop) })
	<-k.done
}

// await waits for the record of activation id, submitted at submitted,
// until lostAt; then it asks once by id and reports the activation lost.
func (k *collector) await(ctx context.Context, id string, submitted, lostAt time.Time) (*Activation, error) {
	w := &waiter{ch: make(chan *Activation, 1), submitted: submitted, nextGet: submitted.Add(getGrace)}
	k.mu.Lock()
	k.pending[id] = w
	k.mu.Unlock()
	select {
	case k.kick <- struct{}{}:
	default:
	}
	t := time.NewTimer(time.Until(lostAt))
	defer t.Stop()
	select {
	case rec := <-w.ch:
		return rec, nil
	case <-ctx.Done():
		k.forget(id)
		return nil, ctx.Err()
	case <-t.C:
	case <-k.stop:
	}
	k.forget(id)
	select {
	case rec := <-w.ch:
		return rec, nil
	default:
	}
	rec, err := k.c.GetActivation(ctx, id)
	if err == nil {
		return rec, nil
	}
	if errorCode(err) == driver.NotFound {
		return nil, lost(id, submitted)
	}
	return nil, err
}

func (k *collector) forget(id string) {
	k.mu.Lock()
	delete(k.pending, id)
	k.mu.Unlock()
}

// deliver hands rec to its waiter, if any; it reports whether one waited.
func (k *collector) deliver(rec *Activation) bool {
	k.mu.Lock()
	w, ok := k.pending[rec.ActivationID]
	if ok {
		delete(k.pending, rec.ActivationID)
	}
	k.mu.Unlock()
	if ok {
		w.ch <- rec
	}
	return ok
}

func (k *collector) run() {
	defer close(k.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-k.stop
		cancel()
	}()
	pause := sweepMin
	for {
		since, n := k.oldest()
		if n == 0 {
			select {
			case <-k.kick:
				continue
			case <-k.stop:
				return
			}
		}
		sent := time.Now()
		found, err := k.sweep(ctx, since)
		if ctx.Err() == nil {
			k.obs.request(sent, err)
		}
		k.fallbackGETs(ctx)
		switch {
		case err != nil && errorCode(err) == driver.Unreachable:
			pause = min(max(2*pause, sweepMax), sweepDown) // the platform is away: back off
		case err != nil:
			pause = sweepMax
		case found > 0:
			pause = sweepMin
		default:
			pause = min(2*pause, sweepMax)
		}
		select {
		case <-time.After(pause):
		case <-k.stop:
			return
		}
	}
}

// oldest returns the earliest submission among the awaited activations and
// how many are awaited.
func (k *collector) oldest() (time.Time, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var t time.Time
	for _, w := range k.pending {
		if t.IsZero() || w.submitted.Before(t) {
			t = w.submitted
		}
	}
	return t, len(k.pending)
}

// sweep lists the action's activations since the oldest awaited one, a
// batch of pages at once, delivering what is awaited. Newer records
// arriving meanwhile shift later pages, which can show a record twice but
// never skip one.
func (k *collector) sweep(ctx context.Context, since time.Time) (int, error) {
	opts := ListOptions{Name: k.action, Since: k.c.clock.serverTime(since).Add(-sinceMargin), Limit: listPage, Docs: true}
	found := 0
	for {
		pages := make([][]byte, pagesAtOnce)
		errs := make([]error, pagesAtOnce)
		var wg sync.WaitGroup
		for i := range pagesAtOnce {
			o := opts
			o.Skip += i * listPage
			wg.Go(func() { pages[i], errs[i] = k.c.listActivations(ctx, o) })
		}
		wg.Wait()
		last := false
		for i, page := range pages {
			if errs[i] != nil {
				return found, errs[i]
			}
			recs, n, err := k.awaited(page)
			if err != nil {
				return found, err
			}
			for j := range recs {
				if k.deliver(&recs[j]) {
					found++
				}
			}
			last = last || n < listPage
		}
		if _, n := k.oldest(); last || n == 0 {
			return found, nil
		}
		opts.Skip += pagesAtOnce * listPage
	}
}

// awaited decodes the records of a listing page that are awaited, and
// returns them with the page's length. Most of a page was delivered by
// earlier sweeps: only the ids of those are read.
func (k *collector) awaited(page []byte) ([]Activation, int, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(page, &raws); err != nil {
		return nil, 0, fmt.Errorf("list activations: bad answer: %v", err)
	}
	var recs []Activation
	for _, raw := range raws {
		id, err := activationID(raw)
		if err != nil {
			return nil, 0, fmt.Errorf("list activations: bad answer: %v", err)
		}
		if !k.waiting(id) {
			continue
		}
		var a Activation
		if decodeActivation(raw, &a) {
			recs = append(recs, a)
			continue
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, 0, fmt.Errorf("list activations: bad answer: %v", err)
		}
		recs = append(recs, a)
	}
	return recs, len(raws), nil
}

// activationID returns the activationId of one listed record: quickly,
// as a slice of raw, when it is the record's first field (as OpenWhisk and
// the sim list them), else through the decoder.
func activationID(raw []byte) ([]byte, error) {
	const pre = `{"activationId":"`
	if bytes.HasPrefix(raw, []byte(pre)) {
		v := raw[len(pre):]
		if end := bytes.IndexByte(v, '"'); end > 0 && bytes.IndexByte(v[:end], '\\') < 0 {
			return v[:end], nil
		}
	}
	var a struct {
		ActivationID string `json:"activationId"`
	}
	err := json.Unmarshal(raw, &a)
	return []byte(a.ActivationID), err
}

// waiting reports whether an Invoke awaits activation id (looked up
// without making a string of it: most listed records are not awaited).
func (k *collector) waiting(id []byte) bool {
	k.mu.Lock()
	_, ok := k.pending[string(id)]
	k.mu.Unlock()
	return ok
}

// fallbackGETs asks by id for activations unseen in listings past their
// grace period, doubling each one's interval.
func (k *collector) fallbackGETs(ctx context.Context) {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, w := range k.pending {
		if w.getting || now.Before(w.nextGet) {
			continue
		}
		select {
		case k.gets <- struct{}{}:
		default:
			return
		}
		w.getting = true
		w.nextGet = now.Add(2 * now.Sub(w.submitted))
		go k.get(ctx, id, w)
	}
}

func (k *collector) get(ctx context.Context, id string, w *waiter) {
	defer func() { <-k.gets }()
	rec, err := k.c.GetActivation(ctx, id)
	if err == nil {
		k.deliver(rec)
	}
	k.mu.Lock()
	w.getting = false
	k.mu.Unlock()
}
