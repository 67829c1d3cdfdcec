package cli

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// integer is what a count flag may be stored in.
type integer interface {
	~int | ~int64 | ~uint64
}

// count is a flag value for a whole number of at least min that may be
// written plainly ("1000"), in scientific notation ("1e3", "2.5e9") or with
// underscores ("1_000"). Every count flag of every command is one, so all
// accept the same forms and reject the same way.
type count[T integer] struct {
	v   *T
	min T
}

// newCount returns a count flag value stored in p, starting at def, that
// accepts any whole number from 0.
func newCount[T integer](p *T, def T) *count[T] {
	*p = def
	return &count[T]{v: p}
}

// positive returns a count flag value stored in p, starting at def, that
// accepts whole numbers from 1 only. A def of 0 then means "not set": the
// flag's help must say what the default is.
func positive[T integer](p *T, def T) *count[T] {
	c := newCount(p, def)
	c.min = 1
	return c
}

func (c *count[T]) String() string {
	if c.v == nil {
		return "0"
	}
	return fmt.Sprint(*c.v)
}

func (c *count[T]) Set(s string) error {
	v, err := parseCount(s)
	if err != nil {
		if c.min > 0 && strings.HasPrefix(strings.TrimSpace(s), "-") {
			return fmt.Errorf("must be at least %d, got %s", c.min, s)
		}
		return err
	}
	t := T(v)
	if uint64(t) != v {
		return fmt.Errorf("%s is too large", s)
	}
	if t < c.min {
		return fmt.Errorf("must be at least %d, got %s", c.min, s)
	}
	*c.v = t
	return nil
}

func (c *count[T]) Type() string { return "count" }

// maxCount is one more than the largest count: 2^63.
const maxCount = 1 << 63

// parseCount parses a non-negative whole number written plainly, in
// scientific notation or with underscores; it must be below 2^63.
func parseCount(s string) (uint64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if t == "" {
		return 0, fmt.Errorf("empty number")
	}
	if v, err := strconv.ParseUint(t, 10, 63); err == nil {
		return v, nil
	}
	// The float screens out what is not a number, and sizes that a
	// rational would take long to expand (1e999999999).
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil && !math.IsInf(f, 0), math.IsNaN(f), math.IsInf(f, 0) && !strings.Contains(strings.ToLower(t), "e"):
		return 0, fmt.Errorf("%q is not a number (write counts as 1000, 1e3 or 1_000)", s)
	case f < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case f >= maxCount:
		return 0, fmt.Errorf("%q is too large (at most 9.2e18)", s)
	}
	// The rational is exact where the float rounds ("12345678901234567e2").
	r, ok := new(big.Rat).SetString(t)
	switch {
	case !ok:
		return 0, fmt.Errorf("%q is not a number (write counts as 1000, 1e3 or 1_000)", s)
	case !r.IsInt():
		return 0, fmt.Errorf("%q is not a whole number", s)
	case !r.Num().IsUint64() || r.Num().Uint64() >= maxCount:
		return 0, fmt.Errorf("%q is too large (at most 9.2e18)", s)
	}
	return r.Num().Uint64(), nil
}
