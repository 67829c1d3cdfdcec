package openwhisk

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// reader reads keys of layered values; the first error sticks.
type reader struct {
	m   map[string]any
	err error
}

func (r *reader) fail(key string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("helm values: %s: %w", key, err)
	}
}

// get returns the value at a dotted key.
func (r *reader) get(key string) (any, bool) {
	var cur any = r.m
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// text returns a key's value as text: a string, or a number written out.
func (r *reader) text(key string) string {
	v, ok := r.get(key)
	if !ok {
		r.fail(key, errMissing)
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	r.fail(key, fmt.Errorf("want a string or a number, got %T", v))
	return ""
}

// count returns a key's value as a whole number that is not negative. A
// YAML number that helm would render in exponent form (1e+06 and up:
// helm prints numbers with %v) fails, as the controller cannot read it.
func (r *reader) count(key string) int {
	if v, ok := r.get(key); ok {
		if f, ok := v.(float64); ok && strings.ContainsAny(fmt.Sprintf("%v", f), "e") {
			r.fail(key, fmt.Errorf("helm renders %s as %v, which OpenWhisk does not read as an integer; keep it below 1,000,000", strconv.FormatFloat(f, 'f', -1, 64), f))
			return 0
		}
	}
	s := r.text(key)
	if r.err != nil {
		return 0
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || n < 0 || n != math.Trunc(n) || n > math.MaxInt32 {
		r.fail(key, fmt.Errorf("want a whole number, got %q", s))
		return 0
	}
	return int(n)
}

// sizeRE matches OpenWhisk's byte sizes: a number and an optional unit.
var sizeRE = regexp.MustCompile(`^\s*([0-9]+)\s*([a-zA-Z]*)\s*$`)

// bytes returns a byte size such as "256m", "1 MB" or "1048576" (bytes)
// in bytes.
func (r *reader) bytes(key string) int {
	s := r.text(key)
	if r.err != nil {
		return 0
	}
	m := sizeRE.FindStringSubmatch(s)
	mult, ok := map[string]int{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}[strings.ToLower(safeIndex(m, 2))]
	if m == nil || !ok {
		r.fail(key, fmt.Errorf("want a size such as 256m or 1048576, got %q", s))
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > math.MaxInt64/mult {
		r.fail(key, fmt.Errorf("size %q is too large", s))
		return 0
	}
	return n * mult
}

// megabytes returns a byte size in MB, rounded down.
func (r *reader) megabytes(key string) int { return r.bytes(key) >> 20 }

// durationUnits are the milliseconds of HOCON's duration units.
var durationUnits = map[string]float64{
	"": 1, "ms": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
	"s": 1e3, "second": 1e3, "seconds": 1e3,
	"m": 60e3, "minute": 60e3, "minutes": 60e3,
	"h": 3600e3, "hour": 3600e3, "hours": 3600e3,
	"d": 86400e3, "day": 86400e3, "days": 86400e3,
}

// durationRE matches a HOCON duration: a number and an optional unit.
var durationRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$`)

// millis returns a duration such as "100ms", "5m" or "1 minute" in
// milliseconds; a bare number is milliseconds, as HOCON reads it.
func (r *reader) millis(key string) int {
	s := r.text(key)
	if r.err != nil {
		return 0
	}
	m := durationRE.FindStringSubmatch(s)
	unit, ok := durationUnits[strings.ToLower(safeIndex(m, 2))]
	if m == nil || !ok {
		r.fail(key, fmt.Errorf("want a duration such as 100ms, 5m or 1 minute, got %q", s))
		return 0
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	if ms := n * unit; ms <= math.MaxInt32 {
		return int(ms)
	}
	r.fail(key, fmt.Errorf("duration %q is too long", s))
	return 0
}

func safeIndex(m []string, i int) string {
	if i < len(m) {
		return m[i]
	}
	return ""
}
