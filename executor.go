package overcast

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	// OutageWait bounds how long a job waits for a platform that cannot be
	// reached (connections refused or reset, names that do not resolve):
	// meanwhile it probes the platform with backoff, and attempts that
	// could not reach it do not count against MaxAttempts; past the wait
	// the job stops with an *OutageError, its unfinished tasks left for a
	// resume. Zero means DefaultOutageWait; negative means stop at once.
	OutageWait time.Duration
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
	// its task. It opens with the storage options (credentials) of the
	// context of a job's Map, as the buckets its tasks open do when they
	// run in this process: see storage.WithOptions.
	Storage string
	// Deploy makes NewExecutor install the worker on a platform that must
	// hold it before it is invoked (OpenWhisk, Lambda): the running binary
	// itself, so a program needs no separate "overcast deploy" step. The
	// upload is skipped when the platform holds the same code already.
	// See Executor.Deploy; NewExecutorFor does not deploy.
	Deploy bool
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
// With opts.Deploy it deploys the worker first (see Executor.Deploy).
func NewExecutor(ctx context.Context, backendURL string, opts *Options) (*Executor, error) {
	b, err := backend.Open(ctx, backendURL)
	if err != nil {
		return nil, err
	}
	ex := NewExecutorFor(b, opts)
	ex.owned = true
	if ex.opts.Deploy {
		if _, err := ex.Deploy(ctx); err != nil {
			ex.Close()
			return nil, err
		}
	}
	return ex, nil
}

// NewExecutorFor returns an Executor on an open backend, which the caller
// keeps and closes. It deploys nothing, whatever opts.Deploy says: call
// Deploy. A backend with typed options is opened by its package, e.g.
//
//	d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: openwhisk.Config{APIHost: host, Auth: key}})
//	b := backend.New("openwhisk", d)
//	ex := overcast.NewExecutorFor(b, nil)
//	info, err := ex.Deploy(ctx)
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

// Deploy installs or updates the worker on the executor's platform when
// it must hold it before it is invoked (OpenWhisk actions, Lambda
// functions): the running binary itself when it is a statically linked
// linux executable of the platform's architecture, as a CGO_ENABLED=0
// build on linux/amd64 is for amd64 platforms; otherwise one cross-built
// from the program's source, which needs the go command and the current
// directory inside the program's module, and fails with one line naming
// the build to run when it cannot. Nothing is uploaded when the platform
// already holds code of the same hash, as with "overcast deploy". It
// returns what it did, or nil when the backend needs no deployment
// (local).
//
// The deployed program must serve tasks when a platform starts it, as
// cli.Main does; a program that deploys from inside a platform's worker
// instead gets an error saying so.
func (ex *Executor) Deploy(ctx context.Context) (*backend.DeployInfo, error) {
	if ex.b.Deploys() {
		if v := workerVariable(); v != "" {
			return nil, fmt.Errorf("deploy to %s: this process was started by a platform as its worker (%s is set), yet it deploys instead of serving tasks: "+
				"a program that deploys itself must serve when started so, e.g. call cli.Main() unless given its own arguments", ex.b.Name(), v)
		}
	}
	return ex.b.Deploy(ctx)
}

// workerVariable returns the environment variable, if any, by which an
// OpenWhisk or Lambda platform marks the processes it starts as workers.
func workerVariable() string {
	for _, v := range []string{"__OW_ACTION_NAME", "AWS_LAMBDA_RUNTIME_API"} {
		if os.Getenv(v) != "" {
			return v
		}
	}
	return ""
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
