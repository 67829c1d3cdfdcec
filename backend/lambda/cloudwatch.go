package lambda

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Bounds on reading an invocation's logs from CloudWatch Logs.
const (
	// maxLogPages bounds the pages read to find the invocation's START
	// line and then its lines up to REPORT.
	maxLogPages = 50
	// maxLogLines bounds the lines returned.
	maxLogLines = 10000
	// logSlack is how much earlier than since the search starts, for
	// clocks that disagree.
	logSlack = 5 * time.Minute
)

// Logs returns the log lines of the invocation with request id, read from
// the function's CloudWatch Logs group: the lines of its log stream from
// its START line to its REPORT line (driver.LogReader). Lambda writes them
// a few seconds after the invocation ends; an invocation not found yet is
// an error with code NotFound. Emulators keep no logs.
func (d *Driver) Logs(ctx context.Context, id string, since time.Time) ([]string, error) {
	if len(d.opts.Endpoints) > 0 {
		return nil, &Error{Code: driver.Unknown, Msg: "emulators keep no logs"}
	}
	c := d.logsClient()
	group := logGroup(d.opts.Function)
	stream, start, err := findStart(ctx, c, group, id, since)
	if err != nil {
		return nil, logsError(err, group)
	}
	lines, err := readInvocation(ctx, c, group, stream, start, id)
	if err != nil {
		return nil, logsError(err, group)
	}
	return lines, nil
}

// logsClient returns the CloudWatch Logs client, made on first use.
func (d *Driver) logsClient() *cloudwatchlogs.Client {
	d.logsOnce.Do(func() { d.logs = cloudwatchlogs.NewFromConfig(d.cfg) })
	return d.logs
}

func logGroup(function string) string { return "/aws/lambda/" + functionName(function) }

// findStart finds the START line of invocation id: its log stream and time.
func findStart(ctx context.Context, c *cloudwatchlogs.Client, group, id string, since time.Time) (string, int64, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`"` + id + `"`)}
	if !since.IsZero() {
		in.StartTime = aws.Int64(since.Add(-logSlack).UnixMilli())
	}
	for range maxLogPages {
		out, err := c.FilterLogEvents(ctx, in)
		if err != nil {
			return "", 0, err
		}
		for _, e := range out.Events {
			if isStart(aws.ToString(e.Message), id) {
				return aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp), nil
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	return "", 0, &Error{Code: driver.NotFound, Msg: fmt.Sprintf("no logs of request %s in CloudWatch Logs group %s (yet: Lambda writes them a few seconds after the invocation ends)", id, group)}
}

// readInvocation reads the lines of stream from invocation id's START
// line to its REPORT line. One sandbox runs one invocation at a time, so
// the lines between are the invocation's.
func readInvocation(ctx context.Context, c *cloudwatchlogs.Client, group, stream string, start int64, id string) ([]string, error) {
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		StartTime: aws.Int64(start), StartFromHead: aws.Bool(true)}
	var lines []string
	started := false
	for range maxLogPages {
		out, err := c.GetLogEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			msg := strings.TrimRight(aws.ToString(e.Message), "\n")
			started = started || isStart(msg, id)
			if !started {
				continue
			}
			lines = append(lines, msg)
			if isReport(msg, id) || len(lines) == maxLogLines {
				return lines, nil
			}
		}
		if out.NextForwardToken == nil || aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
			break // the end of the stream
		}
		in.NextToken = out.NextForwardToken
	}
	return lines, nil
}

// isStart and isReport recognize an invocation's first and last lines, in
// Lambda's text and JSON log formats.
func isStart(msg, id string) bool {
	return strings.HasPrefix(msg, "START RequestId: "+id) || (strings.Contains(msg, `"platform.start"`) && strings.Contains(msg, id))
}

func isReport(msg, id string) bool {
	return strings.HasPrefix(msg, "REPORT RequestId: "+id) || (strings.Contains(msg, `"platform.report"`) && strings.Contains(msg, id))
}

// logsError says what a failed CloudWatch Logs call means for the user.
func logsError(err error, group string) error {
	var e *Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case code == "ResourceNotFoundException":
			return &Error{Code: driver.NotFound, Msg: "CloudWatch Logs has no group " + group + ": the function has not logged yet"}
		case isAuth(code):
			return &Error{Code: driver.PermissionDenied, Msg: "AWS refused to read CloudWatch Logs: the caller needs logs:FilterLogEvents and logs:GetLogEvents on " + group, Err: err}
		}
	}
	return &Error{Code: driver.Unavailable, Msg: "read CloudWatch Logs group " + group, Err: err}
}
