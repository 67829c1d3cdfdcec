package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// count is a flag value for a non-negative integer that may be written in
// scientific notation ("1e10", "2.5e9") or with underscores ("10_000").
type count struct{ v *uint64 }

func newCount(p *uint64, def uint64) *count {
	*p = def
	return &count{p}
}

func (c *count) String() string {
	if c.v == nil {
		return "0"
	}
	return strconv.FormatUint(*c.v, 10)
}

func (c *count) Set(s string) error {
	v, err := parseCount(s)
	if err != nil {
		return err
	}
	*c.v = v
	return nil
}

func (c *count) Type() string { return "count" }

// parseCount parses a non-negative integer written plainly or in
// scientific notation; the value must be a whole number below 2^63.
func parseCount(s string) (uint64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if t == "" {
		return 0, fmt.Errorf("empty number")
	}
	if v, err := strconv.ParseUint(t, 10, 63); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%q is not a number", s)
	case f < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case f != math.Trunc(f):
		return 0, fmt.Errorf("%q is not a whole number", s)
	case f >= 1<<63:
		return 0, fmt.Errorf("%q is too large", s)
	}
	return uint64(f), nil
}
