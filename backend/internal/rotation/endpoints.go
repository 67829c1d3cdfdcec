package rotation

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseEndpoints reads v, http(s) base URLs separated by commas, and
// returns them without a trailing slash; blank entries are skipped. A URL
// needs a host and takes no query or fragment. One that holds credentials
// is refused, as endpoints are shown in messages: instead says where the
// driver takes them from. Errors show a URL with its password redacted.
func ParseEndpoints(v, instead string) ([]string, error) {
	var eps []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("endpoint must be http(s)://HOST[:PORT][/PATH] base URLs separated by commas, got %q", RedactURL(s))
		}
		if u.User != nil {
			return nil, fmt.Errorf("endpoint %s holds credentials: %s", RedactURL(s), instead)
		}
		eps = append(eps, s)
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("endpoint is empty")
	}
	return eps, nil
}

// RedactURL returns s with any password it holds replaced; when s does
// not parse, everything before an @ is.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			return "[redacted]" + s[i:]
		}
		return s
	}
	return u.Redacted()
}
