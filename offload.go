package overcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// A backend with a payload limit (backend.PayloadLimit) cannot carry every
// input and output in its envelopes. The scheduler writes an input over
// the limit to the executor's storage under overcast/<job-id>/in/ and
// sends its key; a worker whose answer would be over the limit writes the
// output under overcast/<job-id>/out/ and answers with its key, which the
// scheduler reads (worker.Request.InputKey, OutputKey). Without storage,
// such a task fails with an error that says to give one.

// ErrNoStorage is the error of Executor.Storage without Options.Storage.
var ErrNoStorage = errors.New("no storage: run with --storage URL (or set OVERCAST_STORAGE)")

// Storage returns the bucket of Options.Storage, opened on first use and
// closed by Close. Job data goes under storage.JobPrefix(job id).
func (ex *Executor) Storage(ctx context.Context) (*storage.Bucket, error) {
	if ex.opts.Storage == "" {
		return nil, ErrNoStorage
	}
	ex.storeOnce.Do(func() { ex.store, ex.storeErr = storage.Open(ctx, ex.opts.Storage) })
	return ex.store, ex.storeErr
}

// closeStorage closes the bucket Storage opened, if any.
func (ex *Executor) closeStorage() error {
	if ex.store == nil {
		return nil
	}
	return ex.store.Close()
}

// dataKey names an object of this Map's data: overcast/<job>/<dir>/<seq>.<name>.
func (j *job) dataKey(dir, name string) string {
	return storage.JobPrefix(j.id) + dir + "/" + strconv.Itoa(j.seq) + "." + name
}

// envelopeRoom is what an envelope holds besides its input, at most, for
// the size check: field names, numbers, and the strings counted apart.
const envelopeRoom = 256

// limitInput sets the limit and storage fields of task i's envelope and,
// when its input is over the backend's limit, moves the input to storage.
func (j *job) limitInput(ctx context.Context, req *worker.Request) error {
	limit := j.ex.b.PayloadLimit()
	if limit == 0 || j.direct {
		return nil
	}
	req.Limit, req.Storage = limit, j.ex.opts.Storage
	size := len(req.Input) + len(req.Task) + len(req.Job) + len(req.Storage) + 2*len(j.dataKey("out", "")) + envelopeRoom
	if worker.Fits(size, limit) {
		return nil
	}
	if req.Storage == "" {
		return fmt.Errorf("input is %s, over the %s backend's %s payload limit; run with --storage URL (or set OVERCAST_STORAGE) to pass big inputs through object storage",
			worker.MB(len(req.Input)), j.ex.b.Name(), worker.MB(limit))
	}
	b, err := j.ex.Storage(ctx)
	if err != nil {
		return err
	}
	key := j.dataKey("in", strconv.Itoa(req.Index))
	if err := b.Put(ctx, key, req.Input); err != nil {
		return err
	}
	req.Input, req.InputKey = json.RawMessage("null"), key
	return nil
}

// outputKey names where attempt n of task i writes an output too big for
// its answer; empty when the worker has nowhere to write it.
func (j *job) outputKey(req *worker.Request, n int) string {
	if req.Storage == "" {
		return ""
	}
	return j.dataKey("out", strconv.Itoa(req.Index)+"-"+strconv.Itoa(n))
}

// fetchOutput reads an output a worker put in storage. A failure is Lost:
// the attempt's result did not arrive, and another attempt may deliver it.
func (j *job) fetchOutput(ctx context.Context, key string) ([]byte, error) {
	b, err := j.ex.Storage(ctx)
	if err == nil {
		var out []byte
		if out, err = b.Get(ctx, key); err == nil {
			return out, nil
		}
	}
	return nil, &backend.Error{Code: backend.Lost, Err: fmt.Errorf("read the task's output from storage: %w", err)}
}
