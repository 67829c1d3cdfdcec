// Package ctxtime holds the one context-aware sleep the scheduler, the
// drivers and the sim share.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, and reports whether the whole
// duration passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
