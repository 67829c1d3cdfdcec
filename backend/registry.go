package backend

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/overcast-sc/overcast/backend/driver"
)

// Opener opens a driver from a parsed backend URL.
type Opener func(ctx context.Context, u *url.URL) (driver.Backend, error)

var openers struct {
	sync.RWMutex
	m map[string]Opener
}

// Register makes a driver available under a URL scheme. It panics on a
// duplicate scheme; drivers call it from init.
func Register(scheme string, o Opener) {
	openers.Lock()
	defer openers.Unlock()
	if openers.m == nil {
		openers.m = make(map[string]Opener)
	}
	if _, dup := openers.m[scheme]; dup {
		panic(fmt.Sprintf("backend: scheme %q registered twice", scheme))
	}
	openers.m[scheme] = o
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	openers.RLock()
	defer openers.RUnlock()
	s := make([]string, 0, len(openers.m))
	for k := range openers.m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open opens the backend a URL names. A bare name such as "local" is the
// same as "local://".
func Open(ctx context.Context, urlstr string) (*Backend, error) {
	return OpenWith(ctx, urlstr, nil)
}

// OpenWith opens the backend a URL names with the opener o instead of the
// one its scheme registered; nil means the registered one. This is how a
// program passes typed settings along with a URL, such as credentials,
// which never travel in one: o parses the URL with the driver's own
// parser, sets them on the driver's options and opens the driver (see
// openwhisk.Open), and nothing is kept for other backends of the process.
func OpenWith(ctx context.Context, urlstr string, o Opener) (*Backend, error) {
	u, err := ParseURL(urlstr)
	if err != nil {
		return nil, err
	}
	if o == nil {
		openers.RLock()
		reg, ok := openers.m[u.Scheme]
		openers.RUnlock()
		if !ok {
			return nil, fmt.Errorf("unknown backend %q (known: %s; forgotten import?)", u.Scheme, strings.Join(Schemes(), ", "))
		}
		o = reg
	}
	d, err := o(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", u.Scheme, err)
	}
	return New(u.Scheme, d), nil
}

// ParseURL parses a backend URL. A bare name such as "local" is the same
// as "local://".
func ParseURL(urlstr string) (*url.URL, error) {
	if !strings.Contains(urlstr, "://") {
		urlstr += "://"
	}
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("backend: bad URL %q: %w", urlstr, err)
	}
	return u, nil
}
