package shuffle

import "context"

type countersKey struct{}

// withCounters gives a task's context a fresh set of counters.
func withCounters(ctx context.Context) (context.Context, map[string]int64) {
	c := map[string]int64{}
	return context.WithValue(ctx, countersKey{}, c), c
}

// Count adds n to the counter name of the map or reduce task running with
// ctx. Run sums each phase's counters over the winning attempts, so a
// count made by a failed or losing attempt is not counted. A task's Map
// or Reduce calls it from the goroutine it runs on; outside a task it
// does nothing.
func Count(ctx context.Context, name string, n int64) {
	if c, ok := ctx.Value(countersKey{}).(map[string]int64); ok {
		c[name] += n
	}
}
