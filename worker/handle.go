package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/overcast-sc/overcast/storage"
)

var ran atomic.Bool

// Handle decodes one encoded Request, runs its task, and returns the encoded
// Response. It never fails: a bad envelope or a failed task becomes a
// Response whose Error says why.
func Handle(ctx context.Context, payload []byte) []byte {
	start := time.Now()
	var resp *Response
	req, err := DecodeRequest(payload)
	if err == nil {
		err = loadInput(ctx, req)
	}
	if err != nil {
		resp = &Response{Error: &TaskError{Kind: "input", Message: err.Error()}}
	} else {
		resp = Run(ctx, req)
	}
	if resp.Stats.StartNS == 0 {
		resp.Stats = stats(start)
	}
	out := AppendResponse(make([]byte, 0, 80+len(resp.Output)), resp)
	if req == nil || (req.InputKey == "" && Fits(len(out), req.Limit)) {
		return out
	}
	if !Fits(len(out), req.Limit) {
		resp = offload(ctx, req, resp, len(out))
	}
	// The task's time includes moving its data through storage.
	resp.Stats.StartNS, resp.Stats.EndNS = start.UnixNano(), time.Now().UnixNano()
	return AppendResponse(out[:0], resp)
}

// Run runs the task r names and returns its Response. A panic in the task
// becomes a TaskError of kind "panic" that carries the stack.
func Run(ctx context.Context, r *Request) *Response {
	start := time.Now()
	t, err := Lookup(r.Task)
	if err != nil {
		return &Response{Error: &TaskError{Kind: "unknown-task", Message: err.Error()}, Stats: stats(start)}
	}
	ctx = context.WithValue(ctx, requestKey{}, r)
	if r.DeadlineMS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(r.DeadlineMS))
		defer cancel()
	}
	ctx, count := storage.WithIOCount(ctx)
	var out []byte
	terr := call(func() (err error) { out, err = t.Raw(ctx, r.Input); return err })
	if terr == nil && out != nil && !json.Valid(out) {
		terr = &TaskError{Kind: "error", Message: "task output is not valid JSON"}
	}
	resp := &Response{Output: out, Error: terr, Stats: ioStats(stats(start), count)}
	if terr != nil {
		resp.Output = nil
	} else if resp.Output == nil {
		resp.Output = json.RawMessage("null")
	}
	return resp
}

type requestKey struct{}

// RequestFrom returns the envelope of the task running with ctx: its job,
// index and attempt (Input may be empty). It returns nil outside a task.
func RequestFrom(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// ValueResponse is the answer of RunValue.
type ValueResponse struct {
	Output any
	Error  *TaskError
	Stats  Stats
}

// RunValue runs a task on a Go value without encoding it, when the task
// was registered with a ValueHandler, and through its encoded form
// otherwise.
func RunValue(ctx context.Context, r *Request, in any, deadline time.Time) *ValueResponse {
	start := time.Now()
	task := r.Task
	ctx = context.WithValue(ctx, requestKey{}, r)
	t, err := Lookup(task)
	if err != nil {
		return &ValueResponse{Error: &TaskError{Kind: "unknown-task", Message: err.Error()}, Stats: stats(start)}
	}
	if t.Value == nil {
		return &ValueResponse{Error: &TaskError{Kind: "input", Message: "task " + task + " takes only encoded input"}, Stats: stats(start)}
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	ctx, count := storage.WithIOCount(ctx)
	var out any
	terr := call(func() (err error) { out, err = t.Value(ctx, in); return err })
	if terr != nil {
		out = nil
	}
	return &ValueResponse{Output: out, Error: terr, Stats: ioStats(stats(start), count)}
}

// call runs f, turning its error or panic into a TaskError.
func call(f func() error) (terr *TaskError) {
	defer func() {
		if r := recover(); r != nil {
			terr = &TaskError{Kind: "panic", Message: fmt.Sprint(r), Stack: string(debug.Stack())}
		}
	}()
	if err := f(); err != nil {
		if te, ok := err.(*TaskError); ok {
			return te
		}
		return &TaskError{Kind: "error", Message: err.Error()}
	}
	return nil
}

// ioStats adds to s the storage I/O the task's count holds.
func ioStats(s Stats, c *storage.IOCount) Stats {
	s.ReadBytes, s.WrittenBytes = c.Read(), c.Written()
	return s
}

func stats(start time.Time) Stats {
	return Stats{StartNS: start.UnixNano(), EndNS: time.Now().UnixNano(), Cold: !ran.Swap(true)}
}
