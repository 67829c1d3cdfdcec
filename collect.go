package overcast

import (
	"context"
	"time"
)

// collect looks for a result of task i that an earlier run of the job had
// dispatched and the platform finished while that driver was away. It
// reports whether it resolved the task.
func (j *job) collect(ctx context.Context, i int, rec *TaskRecord) bool {
	dl, ok := j.log.(DispatchLog)
	if !ok {
		return false
	}
	for _, id := range dl.Pending(i) {
		act, can, err := j.ex.b.Fetch(ctx, id)
		if !can {
			return false
		}
		if err != nil {
			continue
		}
		rec.Invoked = time.Now().UnixNano()
		rec.Returned = rec.Invoked
		rec.Collected = true
		rec.BackendID, rec.Wait, rec.Init = act.ID, act.Wait, act.Init
		rec.Billed, rec.MemoryMB = act.Billed, int32(act.MemoryMB)
		out, claimed, err := j.take(ctx, i, act, rec)
		if err != nil {
			continue // the earlier attempt failed: invoke again
		}
		if claimed {
			j.succeed(i, rec, out)
		}
		return true
	}
	return false
}
