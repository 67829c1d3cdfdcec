package cli

import (
	"fmt"
	"strings"
)

// plural writes n with its noun, singular or plural: "1 task", "2 tasks",
// "0 retries".
func plural[T integer](n T, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// hasColdStarts reports whether a backend has cold starts to report: the
// local backend runs tasks in the driver's own process, which never
// starts for a task.
func hasColdStarts(backend string) bool {
	return backend != "local" && !strings.HasPrefix(backend, "local:")
}
