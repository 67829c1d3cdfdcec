package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
)

// logsStandIn is an in-process stand-in for the two CloudWatch Logs
// operations Logs uses, in their JSON 1.1 protocol, over one log stream
// served a page of pageSize events at a time.
type logsStandIn struct {
	mu      sync.Mutex
	events  []logEvent
	targets []string
	refuse  bool
}

type logEvent struct {
	ts  int64
	msg string
}

const pageSize = 2

func (s *logsStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := r.Header.Get("X-Amz-Target")
	s.targets = append(s.targets, target)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if s.refuse {
		w.WriteHeader(400)
		w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform logs:FilterLogEvents"}`))
		return
	}
	var in struct {
		LogGroupName, LogStreamName, FilterPattern, NextToken string
		StartTime                                             int64
	}
	json.NewDecoder(r.Body).Decode(&in)
	if in.LogGroupName != "/aws/lambda/pi" {
		w.WriteHeader(400)
		w.Write([]byte(`{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`))
		return
	}
	var from int
	if in.NextToken != "" {
		from = int(in.NextToken[0] - '0')
	}
	var page []map[string]any
	i := from
	for ; i < len(s.events) && len(page) < pageSize; i++ {
		e := s.events[i]
		pattern := strings.Trim(in.FilterPattern, `"`)
		if e.ts < in.StartTime || (target == "Logs_20140328.FilterLogEvents" && !strings.Contains(e.msg, pattern)) {
			continue
		}
		page = append(page, map[string]any{"logStreamName": "2026/11/30/[$LATEST]abc", "timestamp": e.ts, "message": e.msg})
	}
	next := string(rune('0' + i))
	out := map[string]any{"events": page}
	switch {
	case target == "Logs_20140328.GetLogEvents":
		out["nextForwardToken"] = next // at the end, the token it was given
	case i < len(s.events):
		out["nextToken"] = next
	}
	json.NewEncoder(w).Encode(out)
}

// openAWS opens a driver aimed at AWS for function pi, with CloudWatch
// Logs answered by s.
func openAWS(t *testing.T, s *logsStandIn) *Driver {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	d, err := Open(context.Background(), &Options{Function: "pi", Region: "us-east-1", Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLogsFromCloudWatch(t *testing.T) {
	s := &logsStandIn{events: []logEvent{
		{1000, "START RequestId: r1 Version: $LATEST\n"},
		{1001, "r1's own line\n"},
		{1002, "END RequestId: r1\n"},
		{1003, "REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 2 ms\n"},
		{2000, "START RequestId: r2 Version: $LATEST\n"},
		{2001, "r2 says hello\n"},
		{2002, "r2 says goodbye\n"},
		{2003, "END RequestId: r2\n"},
		{2004, "REPORT RequestId: r2\tDuration: 3.00 ms\tBilled Duration: 4 ms\n"},
		{3000, "START RequestId: r3 Version: $LATEST\n"},
	}}
	d := openAWS(t, s)
	got, err := d.Logs(context.Background(), "r2", time.UnixMilli(1500))
	want := []string{"START RequestId: r2 Version: $LATEST", "r2 says hello", "r2 says goodbye", "END RequestId: r2",
		"REPORT RequestId: r2\tDuration: 3.00 ms\tBilled Duration: 4 ms"}
	if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Logs(r2) = %q, %v; want %q", got, err, want)
	}
	// One page of the search finds r2's START line; three pages of the
	// stream from it reach its REPORT line, and no more are read.
	if n := strings.Count(strings.Join(s.targets, " "), "FilterLogEvents"); n != 1 || len(s.targets) != 4 {
		t.Errorf("requests %v; want 1 search and 3 reads of the stream", s.targets)
	}
	if _, err := d.Logs(context.Background(), "r9", time.Time{}); d.ErrorCode(err) != driver.NotFound || !strings.Contains(err.Error(), "no logs of request r9 in CloudWatch Logs group /aws/lambda/pi (yet") {
		t.Errorf("Logs of an unknown request: %v (code %v), want NotFound", err, d.ErrorCode(err))
	}
	s.refuse = true
	if _, err := d.Logs(context.Background(), "r2", time.Time{}); d.ErrorCode(err) != driver.PermissionDenied ||
		!strings.Contains(err.Error(), "needs logs:FilterLogEvents and logs:GetLogEvents on /aws/lambda/pi") {
		t.Errorf("Logs refused: %v (code %v), want PermissionDenied naming the permissions", err, d.ErrorCode(err))
	}
	d.opts.Function = "other"
	s.refuse = false
	if _, err := d.Logs(context.Background(), "r2", time.Time{}); d.ErrorCode(err) != driver.NotFound || !strings.Contains(err.Error(), "no group /aws/lambda/other") {
		t.Errorf("Logs of a function that never logged: %v (code %v), want NotFound", err, d.ErrorCode(err))
	}
}
