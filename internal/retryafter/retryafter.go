// Package retryafter reads the Retry-After of an HTTP answer, which
// throttling platforms send with a 429 or a 503 (RFC 9110, section 10.2.3).
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max bounds a Retry-After: a platform that asks for more is answered
// sooner, so that a bad header cannot stall a job for hours.
const Max = 5 * time.Minute

// Parse returns how long a Retry-After value asks the caller to wait
// after now: delay-seconds or an HTTP date. It returns zero for an empty,
// malformed, negative or past value, and at most Max.
func Parse(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, int64(Max/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), Max)
}

// Of returns how long the Retry-After header of h asks to wait after now.
func Of(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	return Parse(h.Get("Retry-After"), now)
}
