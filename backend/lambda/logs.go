package lambda

import (
	"fmt"
	"strings"
)

// tailLines splits a decoded log tail into lines. Lambda cuts the tail at
// its last 4 KB, so the first line may be the end of a longer one.
func tailLines(logs []byte) []string {
	text := strings.TrimRight(string(logs), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// Bounds on what a failed function's error quotes of its log tail.
const (
	crashLogLines = 5
	crashLogWidth = 200
)

// lastLogs returns the last lines of a failed function's log tail without
// Lambda's own START, END and REPORT lines, each cut to crashLogWidth bytes.
func lastLogs(lines []string) []string {
	var own []string
	for _, l := range lines {
		if !isPlatformLine(l) && strings.TrimSpace(l) != "" {
			own = append(own, l)
		}
	}
	own = own[max(0, len(own)-crashLogLines):]
	out := make([]string, len(own))
	for i, l := range own {
		if len(l) > crashLogWidth {
			l = l[:crashLogWidth] + "..."
		}
		out[i] = l
	}
	return out
}

func isPlatformLine(l string) bool {
	for _, p := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "INIT_START "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// LogLocation says where Lambda keeps the logs of the invocation with the
// given request id (driver.LogLocator): the function's CloudWatch Logs
// group, or an emulator's own output.
func (d *Driver) LogLocation(id string) string {
	if len(d.opts.Endpoints) > 0 {
		return "the emulator at " + strings.Join(d.opts.Endpoints, ", ") + " writes the function's logs to its own standard output"
	}
	group := "/aws/lambda/" + functionName(d.opts.Function)
	if id == "" {
		return "Lambda keeps them in CloudWatch Logs, group " + group
	}
	return fmt.Sprintf("Lambda keeps them in CloudWatch Logs, group %s; see them with: aws logs filter-log-events --log-group-name %s --filter-pattern '\"%s\"'",
		group, group, id)
}

// functionName is the name part of a function name or ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func functionName(fn string) string {
	parts := strings.Split(fn, ":")
	if len(parts) >= 7 && parts[0] == "arn" {
		return parts[6]
	}
	return fn
}
