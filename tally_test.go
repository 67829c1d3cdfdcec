package overcast_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
)

// Records keep their tally right however often a record is set again or
// its bills replaced: it always equals a count over every record.
func TestRecordsTallyFollowsEveryChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := overcast.NewRecords(300)
	states := []overcast.TaskState{overcast.Done, overcast.TaskFailedState, overcast.Done, overcast.Pending}
	for step := range 3000 {
		i := rng.IntN(r.Len())
		var bs overcast.Bills
		for range rng.IntN(3) {
			bs = bs.Append(overcast.Bill{Duration: time.Duration(rng.IntN(5000)) * time.Microsecond,
				Kind: overcast.BillKind(rng.IntN(3)), Reported: rng.IntN(2) == 0})
		}
		if step%3 == 0 {
			r.SetSpent(i, bs)
		} else {
			rec := overcast.TaskRecord{State: states[rng.IntN(len(states))], Cold: rng.IntN(2) == 0,
				Resumed: rng.IntN(5) == 0, Start: 0, End: int64(rng.IntN(3e6)), Spent: bs}
			if step > 1000 { // the platform's fields appear part way through
				rec.Billed, rec.MemoryMB = time.Duration(rng.IntN(4e6)), int32(128*rng.IntN(3))
			}
			r.Set(i, &rec)
		}
		if step%500 == 0 || step == 2999 {
			if got, want := r.Tally(), overcast.TallyRecords(r); !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d: tally %+v\nwalked %+v", step, got, want)
			}
		}
	}
	if tl := r.Tally(); tl.Done == 0 || tl.Failed == 0 || tl.Cold == 0 || tl.Unreported == 0 {
		t.Fatalf("tally %+v: the test set too few kinds of record", tl)
	}
	if (overcast.Records{}).Tally().Done != 0 {
		t.Fatal("empty records count a task")
	}
}
