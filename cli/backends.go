package cli

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend"
)

// backendFlags are one backend's command-line settings: add registers its
// flags, url turns them into the backend URL.
type backendFlags struct {
	add func(fs *pflag.FlagSet)
	url func() (string, error)
}

// backendFlagSets holds each backend's flags by scheme; each backend's file
// in this package adds its own.
var backendFlagSets = map[string]*backendFlags{}

var localFlags struct {
	workers      int
	skipEncoding bool
}

func init() {
	backendFlagSets["local"] = &backendFlags{
		add: func(fs *pflag.FlagSet) {
			fs.Var(positive(&localFlags.workers, 0), "workers", "local: worker goroutines (default GOMAXPROCS, one per core)")
			fs.BoolVar(&localFlags.skipEncoding, "skip-encoding", false, "local: hand tasks Go values instead of encoded envelopes")
		},
		url: func() (string, error) {
			q := url.Values{}
			if localFlags.workers > 0 {
				q.Set("workers", strconv.Itoa(localFlags.workers))
			}
			if localFlags.skipEncoding {
				q.Set("encode", "false")
			}
			return "local://?" + q.Encode(), nil
		},
	}
}

// backendURL turns --backend and the backend's flags into a URL. A value
// with "://" is taken as a URL as it is.
func backendURL(name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	bf, ok := backendFlagSets[name]
	if !ok {
		return "", usagef("unknown backend %q (known: %s)", name, strings.Join(backend.Schemes(), ", "))
	}
	return bf.url()
}
