package sim

import (
	"fmt"
	"strings"
	"time"
)

// sentinel is the line OpenWhisk's action proxies write to stdout and
// stderr after each activation; a controller drops it from the logs.
const sentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

// msgLogWarningDeveloperError is the line a controller appends to the logs
// of an activation that ended in a developer error.
const msgLogWarningDeveloperError = "The action did not initialize or run as expected. Log data might be missing."

// msgTruncateLogs is the line a controller appends to logs it cut at the
// action's limit of limit bytes.
func msgTruncateLogs(limit int) string {
	return fmt.Sprintf("Logs were truncated because the total bytes size exceeds the limit of %d bytes.", limit)
}

// logTimeLayout is the time of a log line: RFC 3339 in UTC with
// nanoseconds, always 30 characters.
const logTimeLayout = "2006-01-02T15:04:05.000000000Z"

// logLine formats one line of an action's output as a controller stores
// it: "2026-11-29T23:59:59.123456789Z stdout: text".
func logLine(t time.Time, stream, text string) string {
	return fmt.Sprintf("%-30s %s: %s", t.UTC().Format(logTimeLayout), stream, strings.TrimRight(text, "\r\n"))
}

// logCollector gathers the lines of one activation up to the action's log
// limit in bytes, then the controller's truncation notice.
type logCollector struct {
	limit     int
	used      int
	truncated bool
	lines     []string
}

// add adds the output text of stream (lines separated by newlines),
// stamped t; it reports false once the limit is reached.
func (c *logCollector) add(t time.Time, stream, text string) bool {
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if c.truncated {
			return false
		}
		if l == sentinel {
			continue
		}
		if c.used += len(l); c.used > c.limit {
			c.truncated = true
			c.lines = append(c.lines, logLine(t, "stderr", msgTruncateLogs(c.limit)))
			return false
		}
		c.lines = append(c.lines, logLine(t, stream, l))
	}
	return true
}
