package lambda

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"time"
)

var (
	billedRe = regexp.MustCompile(`Billed Duration: ([0-9.]+) ms`)
	memoryRe = regexp.MustCompile(`Memory Size: ([0-9]+) MB`)
)

// parseReport reads the billed duration and memory size from the REPORT
// line of a base64 log tail (Invoke with LogType Tail). ok is false when
// the tail has no such line.
func parseReport(logResult string) (billed time.Duration, memoryMB int, ok bool) {
	return reportOf(decodeTail(logResult))
}

// decodeTail decodes a base64 log tail; nil when there is none or it is
// not base64.
func decodeTail(logResult string) []byte {
	if logResult == "" {
		return nil
	}
	logs, err := base64.StdEncoding.DecodeString(logResult)
	if err != nil {
		return nil
	}
	return logs
}

// reportOf reads the billed duration and memory size from the REPORT line
// of a decoded log tail.
func reportOf(logs []byte) (billed time.Duration, memoryMB int, ok bool) {
	if logs == nil {
		return 0, 0, false
	}
	b, m := billedRe.FindSubmatch(logs), memoryRe.FindSubmatch(logs)
	if b == nil || m == nil {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseFloat(string(b[1]), 64)
	mb, err2 := strconv.Atoi(string(m[1]))
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), mb, true
}

// billedFallback rounds a measured duration up to Lambda's 1 ms billing
// granularity, for answers without a log tail (emulators).
func billedFallback(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}
