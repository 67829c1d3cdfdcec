// Package worker holds the task registry and the task envelope: the bytes a
// platform delivers to a worker process and the bytes the worker answers
// with. Every backend speaks this envelope, including the local one, so a
// local run exercises the same encode, dispatch and decode path as a remote
// run.
//
// A task's own failure (an error it returned, a panic, a bad input) travels
// inside the Response as a *TaskError; it is never a Go error of Handle.
package worker
