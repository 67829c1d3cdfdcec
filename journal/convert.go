package journal

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/overcast-sc/overcast"
)

// convertV1 rewrites a Map that an older overcast kept as one JSON record
// per task (and its outputs apart) as a log of records, so that a job
// journaled before format 2 can be resumed. Reading such a Map needs no
// conversion (readTasksV1).
func convertV1(b *bolt.Bucket, n int) error {
	tasks, err := readTasksV1(b, n)
	if err != nil {
		return err
	}
	var c chunkWriter
	outs := b.Bucket(bucketOutputs)
	run := 0
	for i := range tasks {
		t := &tasks[i]
		if t.Run != run && t.Run != 0 {
			run = t.Run
			c.add(&event{kind: evSetRun, i: i, run: run})
		}
		for _, e := range taskEvents(i, t, outs) {
			c.add(&e)
		}
	}
	lb, err := b.CreateBucketIfNotExists(bucketLog)
	if err != nil {
		return err
	}
	lb.FillPercent = 1
	for k, chunk := range c.take() {
		if err := lb.Put(u64(uint64(k)), chunk); err != nil {
			return err
		}
	}
	if _, err := b.CreateBucketIfNotExists(bucketFailures); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketTasks, bucketOutputs} {
		if b.Bucket(name) != nil {
			if err := b.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// taskEvents are the records that replay to t.
func taskEvents(i int, t *Task, outs *bolt.Bucket) []event {
	var evs []event
	for _, id := range t.Activations {
		evs = append(evs, event{kind: evDispatched, i: i, id: id})
	}
	for a := range t.Attempts {
		e := event{kind: evAttempted, i: i}
		if a == t.Attempts-1 && t.Error != "" && t.State != TaskDone && t.State != TaskFailed {
			e.hasFail, e.err = true, t.Error
		}
		evs = append(evs, e)
	}
	if len(t.Spent) > 0 {
		evs = append(evs, event{kind: evCarried, i: i, spent: t.Spent})
	}
	var rec overcast.TaskRecord
	if t.Record != nil {
		rec = *t.Record
	}
	switch t.State {
	case TaskDone:
		var out []byte
		if outs != nil {
			out = outs.Get(u32(i))
		}
		evs = append(evs, event{kind: evFinished, i: i, rec: rec, out: out})
	case TaskFailed:
		evs = append(evs, event{kind: evFailed, i: i, rec: rec, code: t.Code, err: t.Error, hasFail: true})
	default:
		if len(rec.Spent) > 0 {
			evs = append(evs, event{kind: evSpent, i: i, spent: rec.Spent})
		}
	}
	return evs
}

// readTasksV1 reads a format 1 Map's tasks.
func readTasksV1(b *bolt.Bucket, n int) ([]Task, error) {
	tasks := make([]Task, n)
	tb := b.Bucket(bucketTasks)
	if tb == nil {
		return tasks, nil
	}
	err := tb.ForEach(func(k, v []byte) error {
		i, err := index(k, n)
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &tasks[i])
	})
	return tasks, err
}
