package sim

import (
	"fmt"
	"net/http"
	"strconv"
)

// Listing bounds, as OpenWhisk's: a limit of 0 asks for the most.
const (
	defaultListLimit = 30
	maxListLimit     = 200
)

// listParams are a collection listing's skip, limit and count.
type listParams struct {
	skip, limit int
	count       bool
}

// parseList reads the skip, limit and count of a listing of collection,
// refusing what a controller refuses with its messages.
func parseList(r *http.Request, collection string) (listParams, error) {
	v := r.URL.Query()
	p := listParams{limit: defaultListLimit, count: v.Get("count") == "true"}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return p, badParam("limit", fmt.Sprintf("The value '%s' is not an integer for %s.", s, collection))
		case n < 0 || n > maxListLimit:
			return p, badParam("limit", fmt.Sprintf("The value '%d' is not in the range of 0 to %d for %s.", n, maxListLimit, collection))
		case n == 0:
			p.limit = maxListLimit
		default:
			p.limit = n
		}
	}
	if s := v.Get("skip"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			return p, badParam("skip", fmt.Sprintf("The value '%s' is not an integer for %s.", s, collection))
		case n < 0:
			return p, badParam("skip", fmt.Sprintf("The value '%d' is not greater than or equal to 0 for %s.", n, collection))
		}
		p.skip = n
	}
	return p, nil
}

// badParam is a controller's refusal of a malformed query parameter.
func badParam(name, msg string) error {
	return fmt.Errorf("The query parameter '%s' was malformed:\n%s", name, msg) //lint:ignore ST1005 OpenWhisk's own message, verbatim
}

// page returns the part of n items a listing shows: [lo, hi).
func (p listParams) page(n int) (lo, hi int) {
	lo = min(p.skip, n)
	return lo, min(lo+p.limit, n)
}
