package overcast

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/storage"
)

// Options configure an Executor. The zero value is sensible.
type Options struct {
	// Concurrency bounds the tasks in flight; zero means the backend's capacity.
	Concurrency int
	// MaxAttempts caps the attempts per task for retryable errors (throttling
	// does not count against it); zero means 10.
	MaxAttempts int
	// RetryTaskErrors also retries a task's own errors, up to MaxAttempts.
	RetryTaskErrors bool
	// TaskTimeout bounds each attempt; zero means no bound.
	TaskTimeout time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff between
	// attempts (full jitter over the upper half); zero means 100 ms and 2 s.
	BackoffBase, BackoffMax time.Duration
	// Reporter receives events; nil means none.
	Reporter Reporter
	// JobID names the jobs; empty means a fresh id per job.
	JobID string
	// Journal records jobs durably and lets a job with the same JobID
	// resume; nil means no record.
	Journal Journal
	// Speculation configures backup copies of straggling tasks.
	Speculation Speculation
	// Storage is the URL of the bucket (package storage) that carries job
	// data, under overcast/<job-id>/: among it inputs and outputs over the
	// backend's payload limit. Empty means none, and such a payload fails
	// its task.
	Storage string
}

// Executor runs jobs on one backend.
type Executor struct {
	b     *backend.Backend
	opts  Options
	owned bool
	mu    sync.Mutex
	seqs  map[string]int

	storeOnce sync.Once
	store     *storage.Bucket
	storeErr  error
}

// NewExecutor opens the backend a URL names (see backend.Open; "local" is
// the local machine) and returns an Executor that closes it on Close.
func NewExecutor(ctx context.Context, backendURL string, opts *Options) (*Executor, error) {
	b, err := backend.Open(ctx, backendURL)
	if err != nil {
		return nil, err
	}
	ex := NewExecutorFor(b, opts)
	ex.owned = true
	return ex, nil
}

// NewExecutorFor returns an Executor on an open backend, which the caller
// keeps and closes.
func NewExecutorFor(b *backend.Backend, opts *Options) *Executor {
	ex := &Executor{b: b}
	if opts != nil {
		ex.opts = *opts
	}
	o := &ex.opts
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 100 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 2 * time.Second
	}
	return ex
}

// Backend returns the executor's backend.
func (ex *Executor) Backend() *backend.Backend { return ex.b }

// JobID returns the job id the executor's options name (empty for a fresh
// id per job).
func (ex *Executor) JobID() string { return ex.opts.JobID }

// Concurrency returns the in-flight bound jobs run with.
func (ex *Executor) Concurrency() int {
	if ex.opts.Concurrency > 0 {
		return ex.opts.Concurrency
	}
	return ex.b.Capacity()
}

// nextSeq numbers the Maps run under one job id.
func (ex *Executor) nextSeq(id string) int {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.seqs == nil {
		ex.seqs = make(map[string]int)
	}
	n := ex.seqs[id]
	ex.seqs[id] = n + 1
	return n
}

// Close closes the storage bucket the executor opened, and the backend if
// NewExecutor opened it.
func (ex *Executor) Close() error {
	err := ex.closeStorage()
	if ex.owned {
		return errors.Join(ex.b.Close(), err)
	}
	return err
}
