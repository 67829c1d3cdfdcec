package overcast_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend/driver"
)

// windowJournal is a memJournal that keeps the window (overcast.WindowLog).
type windowJournal struct {
	memJournal
	wmu    sync.Mutex
	window [][2]int
}

func (w *windowJournal) Job(id string, seq int, task string, n int) (overcast.JobLog, error) {
	return w, nil
}

func (w *windowJournal) Window(at time.Time, window, max int) {
	w.wmu.Lock()
	w.window = append(w.window, [2]int{window, max})
	w.wmu.Unlock()
}

// TestMapJournalsWindow runs a Map whose first attempts are throttled: its
// journal gets the window it started with (the driver's capacity, 4),
// each halving, and the growth back to 4.
func TestMapJournalsWindow(t *testing.T) {
	j := &windowJournal{memJournal: memJournal{outs: map[int][]byte{}, finished: map[int]int{}}}
	var mu sync.Mutex
	throttles := 0
	ex, _ := newFlaky(t, func(inv *driver.Invocation) driver.ErrorCode {
		mu.Lock()
		defer mu.Unlock()
		if throttles < 3 && inv.Attempt == 1 {
			throttles++
			return driver.ResourceExhausted
		}
		return driver.OK
	}, &overcast.Options{Journal: j, Concurrency: 1, MaxAttempts: 5})
	defer ex.Close()
	if _, err := overcast.Map[int, int](context.Background(), ex, "test/double", ints(40)).Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if len(j.window) < 3 || j.window[0] != [2]int{4, 4} {
		t.Fatalf("window records %v: want the start at 4 of 4, then changes", j.window)
	}
	low := 4
	for _, w := range j.window[1:] {
		low = min(low, w[0])
	}
	if last := j.window[len(j.window)-1]; low >= 4 || last[0] <= low {
		t.Errorf("window records %v: want it to shrink under 4 and grow again", j.window)
	}
}
