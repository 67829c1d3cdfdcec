package storage

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"gocloud.dev/gcerrors"
)

// Backoff is how Overcast's own storage requests (offloaded payloads,
// results, cleaning) retry transient failures: a server error, throttling
// (S3's SlowDown), a reset connection. It sits on top of the S3 client's
// own few attempts, so that a bucket that user I/O keeps busy delays the
// job's bookkeeping instead of failing it.
type Backoff struct {
	// Attempts bounds the tries of one request, the first included.
	Attempts int
	// Base is the wait before the first retry; each later wait doubles,
	// up to Max. Every wait is drawn uniformly from [wait/2, wait].
	Base, Max time.Duration
}

// defaultBackoff tries a request up to 10 times, waiting up to about
// 30 s in all.
var defaultBackoff = Backoff{Attempts: 10, Base: 100 * time.Millisecond, Max: 8 * time.Second}

// do runs op until it succeeds, fails for good, runs out of attempts or
// the context ends.
func (p Backoff) do(ctx context.Context, op func() error) error {
	wait := p.Base
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt >= p.Attempts || !Transient(ctx, err) {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, p.Max)
	}
}

// Transient reports whether a storage error may go away when the request
// is tried again: server errors, throttling, broken connections. A missing
// object, a denied permission, a bad argument or an ended context is
// final.
func Transient(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.InvalidArgument,
		gcerrors.FailedPrecondition, gcerrors.AlreadyExists, gcerrors.Canceled,
		gcerrors.Unimplemented:
		return false
	case gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded, gcerrors.Internal:
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	throttle := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err)
	retryable := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err)
	return throttle == aws.TrueTernary || retryable == aws.TrueTernary
}

// retry returns the bucket's retry policy: its options', or
// defaultBackoff for a bucket opened without.
func (b *Bucket) retry() Backoff {
	if b.backoff.Attempts <= 0 {
		return defaultBackoff
	}
	return b.backoff
}
