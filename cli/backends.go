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
			fs.IntVar(&localFlags.workers, "workers", 0, "local: worker goroutines (default GOMAXPROCS)")
			fs.BoolVar(&localFlags.skipEncoding, "skip-encoding", false, "local: hand tasks Go values instead of encoded envelopes")
		},
		url: func() (string, error) {
			if localFlags.workers < 0 {
				return "", usagef("--workers must be positive, got %d", localFlags.workers)
			}
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
