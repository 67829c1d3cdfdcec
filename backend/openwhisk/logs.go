package openwhisk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ActivationLogs returns an activation's log lines, as the platform keeps
// them: "TIME stdout: text" or "TIME stderr: text".
func (c *Client) ActivationLogs(ctx context.Context, id string) ([]string, error) {
	r, err := c.do(ctx, "GET", "/activations/"+url.PathEscape(id)+"/logs", nil, nil, maxActivationBody)
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, c.apiError("get activation logs "+id, r)
	}
	var body struct {
		Logs []string `json:"logs"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return nil, fmt.Errorf("get activation logs %s: bad answer: %v", id, err)
	}
	return body.Logs, nil
}

// Logs returns the log lines of activation id, as the platform keeps them
// (driver.LogReader).
func (d *Driver) Logs(ctx context.Context, id string, _ time.Time) ([]string, error) {
	return d.c.ActivationLogs(ctx, id)
}

// Bounds on what a failed activation's error quotes of its logs.
const (
	crashLogLines = 5
	crashLogWidth = 200
	crashLogWait  = 5 * time.Second
)

// addLogs fetches the logs of the failed activation te reports and keeps
// their last lines in te, so that the error says why the process died.
// Failing to fetch them leaves te as it is.
func (d *Driver) addLogs(ctx context.Context, te *TaskError) {
	ctx, cancel := context.WithTimeout(ctx, crashLogWait)
	defer cancel()
	if lines, err := d.c.ActivationLogs(ctx, te.ActivationID); err == nil {
		te.Logs = logTail(lines)
	}
}

// logStamp is the time a platform puts before each log line.
var logStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT[0-9:.]+Z\s+`)

// platformNotices are lines a controller adds to the logs of a failed
// activation; they say nothing about the action.
var platformNotices = []string{
	"The action did not initialize or run as expected. Log data might be missing.",
	"There was an issue while collecting your logs. Data might be missing.",
}

// logTail returns the last lines of logs without their times or the
// platform's notices, each cut to crashLogWidth bytes. A Go crash's
// headline ("panic: ..." or "fatal error: ..."), which a stack trace
// pushes far up, leads them when it is not among them.
func logTail(logs []string) []string {
	var lines []string
	headline := -1
	for _, l := range logs {
		l = logStamp.ReplaceAllString(l, "")
		if isNotice(l) {
			continue
		}
		_, text, _ := strings.Cut(l, ": ")
		if strings.HasPrefix(text, "panic: ") || strings.HasPrefix(text, "fatal error: ") {
			headline = len(lines)
		}
		lines = append(lines, l)
	}
	tail := lines[max(0, len(lines)-crashLogLines):]
	if headline >= 0 && headline < len(lines)-len(tail) {
		tail = append([]string{lines[headline]}, tail[1:]...)
	}
	out := make([]string, len(tail))
	for i, l := range tail {
		if len(l) > crashLogWidth {
			l = l[:crashLogWidth] + "..."
		}
		out[i] = l
	}
	return out
}

func isNotice(line string) bool {
	for _, n := range platformNotices {
		if strings.HasSuffix(line, n) {
			return true
		}
	}
	return false
}
