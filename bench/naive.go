package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/worker"
)

// NaiveOptions describe a run of the naive client.
type NaiveOptions struct {
	FanoutOptions
	// PollEvery is the pause between polling rounds; zero means 2 s.
	PollEvery time.Duration
}

// Naive runs o.Tasks sleeping tasks as the seed's 2018 orchestrator did:
// it invokes the action (non-blocking) once per task, one after the
// other, then every PollEvery asks for each unfinished activation by id,
// one request at a time, until it has every result.
func Naive(ctx context.Context, cfg openwhisk.Config, action string, o *NaiveOptions) (*FanoutResult, error) {
	if o.Tasks < 1 || o.TaskMS < 0 {
		return nil, fmt.Errorf("naive needs at least 1 task and a task time of at least 0 ms")
	}
	every := o.PollEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	c, err := openwhisk.NewClient(&cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	start := time.Now()
	ids, err := invokeAll(ctx, c, action, &o.FanoutOptions)
	if err != nil {
		return nil, err
	}
	accepted := time.Since(start)
	p, err := pollAll(ctx, c, ids, every, start.UnixNano())
	if err != nil {
		return nil, err
	}
	r := summarize("naive", &o.FanoutOptions, p.starts, p.ends, time.Since(start), p.failed)
	// A failed task counts as running from when its activation ended.
	r.TimeToAllRunningSeconds = max(r.TimeToAllRunningSeconds, time.Duration(p.lastFailed).Seconds())
	r.setAccepted(accepted)
	return r, nil
}

// invokeAll invokes one activation per task, sequentially.
func invokeAll(ctx context.Context, c *openwhisk.Client, action string, o *FanoutOptions) ([]string, error) {
	input, err := json.Marshal(selftest.Input{SleepMS: o.TaskMS})
	if err != nil {
		return nil, err
	}
	ids := make([]string, o.Tasks)
	for i := range ids {
		payload, err := worker.EncodeRequest(&worker.Request{Task: selftest.Echo, Input: input, Job: "naive", Index: i, Attempt: 1})
		if err != nil {
			return nil, err
		}
		if ids[i], _, err = c.Invoke(ctx, action, payload, false); err != nil {
			return nil, fmt.Errorf("naive: invoke task %d: %w", i, err)
		}
	}
	return ids, nil
}

// polled is what polling found: the worker start and end times of the
// tasks that succeeded and when the last failed activation ended, in ns
// since the job's start, and the failures.
type polled struct {
	starts, ends []int64
	lastFailed   int64
	failed       int
}

// pollAll asks for each activation by id every pause until all are
// recorded.
func pollAll(ctx context.Context, c *openwhisk.Client, ids []string, pause time.Duration, t0 int64) (*polled, error) {
	p := &polled{}
	pending := ids
	for len(pending) > 0 {
		if !sleepCtx(ctx, pause) {
			return nil, ctx.Err()
		}
		var left []string
		for _, id := range pending {
			rec, err := c.GetActivation(ctx, id)
			var ae *openwhisk.APIError
			switch {
			case errors.As(err, &ae) && ae.Code == driver.NotFound:
				left = append(left, id)
				continue
			case err != nil:
				return nil, fmt.Errorf("naive: %w", err)
			}
			resp, err := decodeResult(rec)
			if err != nil || resp.Error != nil {
				p.failed++
				p.lastFailed = max(p.lastFailed, time.UnixMilli(rec.End).UnixNano()-t0)
				continue
			}
			p.starts, p.ends = append(p.starts, resp.Stats.StartNS-t0), append(p.ends, resp.Stats.EndNS-t0)
		}
		pending = left
	}
	return p, nil
}

func decodeResult(rec *openwhisk.Activation) (*worker.Response, error) {
	if rec.Response == nil {
		return nil, errors.New("no response")
	}
	return worker.DecodeResponse(rec.Response.Result)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
