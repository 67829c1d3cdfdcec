// Package overcast runs a highly parallel job as many small tasks on a
// serverless platform (Apache OpenWhisk, AWS Lambda, HTTP function
// platforms) or on the local machine, and assembles the answer.
//
// Tasks are plain Go functions registered by name at init time:
//
//	overcast.Register("wc/map", func(ctx context.Context, in Chunk) (Counts, error) { ... })
//
// The same binary is the driver and the worker: the driver sends a task's
// name and JSON-encoded input to the platform, which runs the registered
// function in a copy of the binary. On the driver side an Executor fans a
// slice of inputs out with Map and collects the outputs in input order:
//
//	ex, err := overcast.NewExecutor(ctx, "local", nil)
//	futs := overcast.Map[Chunk, Counts](ctx, ex, "wc/map", chunks)
//	counts, err := futs.Wait(ctx)
//
// One scheduler, independent of the backend, bounds the tasks in flight,
// retries the errors a backend marks retryable with exponential backoff and
// jitter, applies per-task timeouts and reports events to a Reporter. A job
// with failed tasks returns a *JobError that names every failed task; the
// outputs of the tasks that succeeded stay available.
//
// On platforms that must hold the worker before it is invoked (OpenWhisk,
// Lambda), Options.Deploy makes NewExecutor install the running binary as
// the worker, skipping the upload when the platform holds the same code;
// Executor.Deploy does it on demand. Backends are opened by URL or, with
// typed options of their own package (openwhisk.Open, lambda.Open), by
// backend.New and NewExecutorFor; no setting is process-wide, so
// executors on different platforms, namespaces or accounts share a
// process.
package overcast
