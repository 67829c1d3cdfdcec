package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	_ "github.com/overcast-sc/overcast/backend/local" // the backend Overhead measures
)

// OverheadURLs are the local backend's two paths: encoded envelopes, as a
// remote platform sees them, and Go values handed over directly.
var OverheadURLs = []string{"local", "local://?encode=false"}

// OverheadRow is the scheduler's cost per task on one backend URL.
type OverheadRow struct {
	Backend       string  `json:"backend"`
	Tasks         int     `json:"tasks"`
	WallSeconds   float64 `json:"wall_seconds"`
	MicrosPerTask float64 `json:"us_per_task"`
}

// Overhead runs tasks empty tasks (selftest/echo with nothing to do) on
// each backend URL and returns the cost per task: encode, dispatch, run,
// decode and record.
func Overhead(ctx context.Context, urls []string, tasks int) ([]OverheadRow, error) {
	if tasks < 1 {
		return nil, fmt.Errorf("tasks must be at least 1, got %d", tasks)
	}
	ins := make([]selftest.Input, tasks)
	var rows []OverheadRow
	for _, u := range urls {
		wall, err := overheadRun(ctx, u, ins)
		if err != nil {
			return rows, fmt.Errorf("%s: %w", u, err)
		}
		rows = append(rows, OverheadRow{Backend: u, Tasks: tasks, WallSeconds: wall.Seconds(),
			MicrosPerTask: float64(wall.Nanoseconds()) / float64(tasks) / 1e3})
	}
	return rows, nil
}

func overheadRun(ctx context.Context, url string, ins []selftest.Input) (time.Duration, error) {
	ex, err := overcast.NewExecutor(ctx, url, nil)
	if err != nil {
		return 0, err
	}
	defer ex.Close()
	start := time.Now()
	if _, err := overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
