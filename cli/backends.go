package cli

import (
	"context"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend"
)

// backendFlags are the backends' command-line settings of one command:
// every command that takes them holds its own, so that nothing outlives
// or is shared between invocations.
type backendFlags struct {
	local     localFlags
	openwhisk openwhiskFlags
	lambda    lambdaFlags
	http      httpFlags
	// endpoint is --endpoint, which the lambda and http backends share:
	// pflag takes a flag name once per command.
	endpoint string
	// warn is where warnings about the settings go, prefixed with the
	// program's name.
	warn func(format string, args ...any)
}

// newBackendFlags returns the backends' settings of one command of
// program name, which warns on stderr.
func newBackendFlags(name string, stderr io.Writer) backendFlags {
	return backendFlags{warn: warner(name, stderr)}
}

// backendSection is one backend's command-line settings: add registers
// its flags, url turns them into the backend URL, and open, when set,
// opens the driver of a URL of the backend's scheme with the typed
// settings the URL does not carry (credentials). title names the help
// section that lists them; uses says which commands each flag matters to
// (a flag missing from it matters to run only).
type backendSection struct {
	name, title string
	add         func(fs *pflag.FlagSet)
	url         func() (string, error)
	open        backend.Opener
	uses        map[string]flagUse
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

// Help section titles of the backends' flags, in the order help lists them.
const (
	localTitle     = "Local backend"
	openwhiskTitle = "OpenWhisk"
	lambdaTitle    = "Lambda"
	httpTitle      = "HTTP workers"
	// endpointTitle is the section of the flag lambda and http share.
	endpointTitle = "Lambda and HTTP workers"
)

// backendTitles are the backends' help sections in the order help lists
// them; other sections follow.
func backendTitles() []string {
	return []string{localTitle, openwhiskTitle, lambdaTitle, httpTitle}
}

// backendNames are the backends --backend names without a URL, sorted.
func backendNames() []string {
	var b backendFlags
	var names []string
	for _, s := range b.sections() {
		names = append(names, s.name)
	}
	slices.Sort(names)
	return names
}

// sections returns each backend's settings, bound to b's fields, in help
// order.
func (b *backendFlags) sections() []backendSection {
	return []backendSection{
		{name: "local", title: localTitle, add: b.local.add, url: b.local.url},
		{name: "openwhisk", title: openwhiskTitle, add: b.openwhisk.add, url: b.openwhiskURL, open: b.openwhisk.open, uses: map[string]flagUse{
			"apihost": forUndeploy, "auth": forUndeploy, "namespace": forUndeploy, "insecure": forUndeploy, "action": forUndeploy,
			"kind": forDeploy, "execenv": forDeploy, "memory": forDeploy, "action-timeout": forDeploy, "storage-credentials": forDeploy,
		}},
		{name: "lambda", title: lambdaTitle, add: b.addLambda, url: b.lambdaURL, uses: map[string]flagUse{
			"function": forUndeploy, "region": forUndeploy, "profile": forUndeploy, "endpoint": forUndeploy,
			"arch": forDeploy, "role": forDeploy, "lambda-memory": forDeploy, "lambda-timeout": forDeploy,
		}},
		{name: "http", title: httpTitle, add: b.addHTTP, url: b.httpURL, uses: map[string]flagUse{
			"endpoint": forUndeploy, "http-auth": forUndeploy, "token-file": forUndeploy, "ca-file": forUndeploy,
		}},
	}
}

// section returns the settings of the backend named name, nil if none.
func (b *backendFlags) section(name string) *backendSection {
	for _, s := range b.sections() {
		if s.name == name {
			return &s
		}
	}
	return nil
}

// sharedGroup returns the help section of a flag more than one backend
// adds, and whether flag is one.
func sharedGroup(flag string) (string, bool) {
	if flag == "endpoint" {
		return endpointTitle, true
	}
	return "", false
}

// add adds to fs the flags of every backend that matter to a command
// doing use, each in its backend's help section.
func (b *backendFlags) add(fs *pflag.FlagSet, use flagUse) {
	for _, s := range b.sections() {
		all := pflag.NewFlagSet(s.name, pflag.ContinueOnError)
		s.add(all)
		all.VisitAll(func(f *pflag.Flag) {
			u, ok := s.uses[f.Name]
			if !ok {
				u = forRun
			}
			group, shared := sharedGroup(f.Name)
			switch {
			case u > use:
			case shared && fs.Lookup(f.Name) != nil: // added by another backend
			case shared:
				setGroup(f, group)
				fs.AddFlag(f)
			default:
				setGroup(f, s.title)
				fs.AddFlag(f)
			}
		})
	}
}

// localFlags are the local backend's command-line settings.
type localFlags struct {
	workers      int
	skipEncoding bool
}

func (f *localFlags) add(fs *pflag.FlagSet) {
	fs.Var(positive(&f.workers, 0), "workers", "worker goroutines (default GOMAXPROCS, one per core)")
	fs.BoolVar(&f.skipEncoding, "skip-encoding", false, "hand tasks Go values instead of encoded envelopes")
}

func (f *localFlags) url() (string, error) {
	q := url.Values{}
	if f.workers > 0 {
		q.Set("workers", strconv.Itoa(f.workers))
	}
	if f.skipEncoding {
		q.Set("encode", "false")
	}
	return "local://?" + q.Encode(), nil
}

// url turns --backend and the backend's flags into a URL. A value with
// "://" is taken as a URL as it is.
func (b *backendFlags) url(name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	s := b.section(name)
	if s == nil {
		return "", usagef("unknown backend %q (known: %s, or a backend URL)", name, strings.Join(backendNames(), ", "))
	}
	return s.url()
}

// open opens the backend --backend names with its flags: the URL url
// makes, and the typed settings of the scheme's opener.
func (b *backendFlags) open(ctx context.Context, name string) (*backend.Backend, error) {
	url, err := b.url(name)
	if err != nil {
		return nil, err
	}
	return b.openURL(ctx, url)
}

// openURL opens a backend URL with the typed settings of its scheme's
// flags.
func (b *backendFlags) openURL(ctx context.Context, url string) (*backend.Backend, error) {
	u, err := backend.ParseURL(url)
	if err != nil {
		return nil, err
	}
	var open backend.Opener
	if s := b.section(u.Scheme); s != nil {
		open = s.open
	}
	return backend.OpenWith(ctx, url, open)
}
