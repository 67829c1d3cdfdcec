package cli

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend"
)

// backendFlags are one backend's command-line settings: add registers its
// flags, url turns them into the backend URL, and open, when set, opens
// the driver of a URL of the backend's scheme with the typed settings the
// URL does not carry (credentials). title names the help section that
// lists them; uses says which commands each flag matters to (a flag
// missing from it matters to run only).
type backendFlags struct {
	title string
	add   func(fs *pflag.FlagSet)
	url   func() (string, error)
	open  backend.Opener
	uses  map[string]flagUse
}

// flagUse is the least a command must do for a backend flag to matter to it.
type flagUse int

const (
	// forUndeploy flags say where the worker is: every command takes them.
	forUndeploy flagUse = iota
	// forDeploy flags say how the worker is installed: deploy and run.
	forDeploy
	// forRun flags say how tasks are invoked: run and bench only.
	forRun
)

// backendFlagSets holds each backend's flags by scheme; each backend's file
// in this package adds its own.
var backendFlagSets = map[string]*backendFlags{}

// backendOrder is the order of the backends' sections in help.
var backendOrder = []string{"local", "openwhisk", "lambda", "http"}

// addBackendFlags adds to fs the flags of every backend that matter to a
// command doing use, each in its backend's help section.
func addBackendFlags(fs *pflag.FlagSet, use flagUse) {
	for _, name := range backendOrder {
		bf := backendFlagSets[name]
		if bf == nil {
			continue
		}
		all := pflag.NewFlagSet(name, pflag.ContinueOnError)
		bf.add(all)
		all.VisitAll(func(f *pflag.Flag) {
			u, ok := bf.uses[f.Name]
			if !ok {
				u = forRun
			}
			group, shared := sharedFlags[f.Name]
			switch {
			case u > use:
			case shared && fs.Lookup(f.Name) != nil: // added by another backend
			case shared:
				setGroup(f, group)
				fs.AddFlag(f)
			default:
				setGroup(f, bf.title)
				fs.AddFlag(f)
			}
		})
	}
}

var localFlags struct {
	workers      int
	skipEncoding bool
}

func init() {
	backendFlagSets["local"] = &backendFlags{
		title: "Local backend",
		add: func(fs *pflag.FlagSet) {
			fs.Var(positive(&localFlags.workers, 0), "workers", "worker goroutines (default GOMAXPROCS, one per core)")
			fs.BoolVar(&localFlags.skipEncoding, "skip-encoding", false, "hand tasks Go values instead of encoded envelopes")
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

// openBackend opens the backend --backend names with its flags: the URL
// backendURL makes, and the typed settings of the scheme's opener.
func openBackend(ctx context.Context, name string) (*backend.Backend, error) {
	url, err := backendURL(name)
	if err != nil {
		return nil, err
	}
	return openURL(ctx, url)
}

// openURL opens a backend URL with the typed settings of its scheme's
// flags.
func openURL(ctx context.Context, url string) (*backend.Backend, error) {
	u, err := backend.ParseURL(url)
	if err != nil {
		return nil, err
	}
	var open backend.Opener
	if bf, ok := backendFlagSets[u.Scheme]; ok {
		open = bf.open
	}
	return backend.OpenWith(ctx, url, open)
}
