package sim

import (
	"context"

	"golang.org/x/time/rate"
)

// controller models the platform controller's own throughput: it answers
// at most a fixed number of API requests a second, and the others wait
// their turn, as they queue in front of a busy controller. Unlike the
// namespace's limits it refuses nothing.
type controller struct {
	lim *rate.Limiter
}

// newController returns a controller answering perSecond requests a
// second, or nil for an unlimited one. It lets a burst of 10 ms of
// requests through at once.
func newController(perSecond float64) *controller {
	if perSecond <= 0 {
		return nil
	}
	return &controller{lim: rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/100)))}
}

// admit waits for the request's turn, or until ctx ends.
func (c *controller) admit(ctx context.Context) {
	if c != nil {
		// A request whose context ends is answered by the handler's own
		// context check.
		_ = c.lim.Wait(ctx)
	}
}
