package worker

import (
	"context"
	"fmt"

	"github.com/overcast-sc/overcast/storage"
)

// Margin is the room Fits leaves under a platform's limit for what the
// platform wraps around an envelope (an activation record, a newline).
const Margin = 4 << 10

// Fits reports whether an envelope of n bytes travels under a platform's
// payload limit; a limit of zero or less means none.
func Fits(n, limit int) bool {
	return limit <= 0 || n <= limit-Margin
}

// MB formats a byte count in megabytes (10^6), as payload limits are
// spoken of, or in kilobytes below one megabyte.
func MB(n int) string {
	if n < 1e6 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// loadInput reads an input the driver put in storage (r.InputKey) into
// r.Input.
func loadInput(ctx context.Context, r *Request) error {
	if r.InputKey == "" {
		return nil
	}
	if r.Storage == "" {
		return fmt.Errorf("input is in storage under %s, but the envelope names no storage", r.InputKey)
	}
	b, err := storage.Shared(ctx, r.Storage)
	if err != nil {
		return err
	}
	in, err := b.Get(ctx, r.InputKey)
	if err != nil {
		return err
	}
	r.Input = in
	return nil
}

// offload returns the answer for a response whose encoded form (size
// bytes) does not fit the request's limit: the output moved to storage
// and its key, or an "output" error that says why it could not be.
func offload(ctx context.Context, r *Request, resp *Response, size int) *Response {
	if resp.Error != nil { // an error too big to answer: keep its start
		msg := resp.Error.Message
		resp.Error.Message, resp.Error.Stack = msg[:min(len(msg), r.Limit/4)], ""
		return resp
	}
	fail := func(format string, args ...any) *Response {
		return &Response{Error: &TaskError{Kind: "output", Message: fmt.Sprintf(format, args...)}, Stats: resp.Stats}
	}
	if r.Storage == "" || r.OutputKey == "" {
		return fail("the task's answer is %s, over the platform's %s payload limit; run with --storage URL (or set OVERCAST_STORAGE) to carry big results through object storage",
			MB(size), MB(r.Limit))
	}
	b, err := storage.Shared(ctx, r.Storage)
	if err != nil {
		return fail("%v", err)
	}
	if err := b.Put(ctx, r.OutputKey, resp.Output); err != nil {
		return fail("%v", err)
	}
	return &Response{OutputKey: r.OutputKey, Stats: resp.Stats}
}
