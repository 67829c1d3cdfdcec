package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/worker"
)

// openwhiskModes are the workers started by OpenWhisk's Go runtime
// (actionloop) and by a blackbox action's image; they print errors as
// program name.
func openwhiskModes(name string) []workerMode {
	return []workerMode{
		{
			name:   "openwhisk-actionloop",
			detect: func(args []string) bool { return worker.ActionLoopDetect(args, os.Environ(), worker.FD3Writable()) },
			serve:  func(ctx context.Context) int { return serveActionLoop(ctx, name) },
		},
		{
			name:   "openwhisk-blackbox",
			detect: func(args []string) bool { return worker.BlackboxDetect(args, os.Environ(), worker.FD3Writable()) },
			serve: func(ctx context.Context) int {
				if err := worker.ServeBlackbox(actionContext(ctx), os.Args[1:], os.Stdin, os.Stdout); err != nil {
					fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
					return 1
				}
				return 0
			},
		},
	}
}

// serveActionLoop is the worker under OpenWhisk's Go runtime: requests on
// stdin, answers on file descriptor 3, logs on stderr.
func serveActionLoop(ctx context.Context, name string) int {
	fd3 := os.NewFile(3, "fd3")
	if err := worker.ServeActionLoop(actionContext(ctx), os.Stdin, fd3, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// actionContext is the context an OpenWhisk action serves tasks with: a
// process of its own, whose s3:// buckets open only once
// actionS3Credentials finds credentials.
func actionContext(ctx context.Context) context.Context {
	return storage.WithOptions(worker.InOwnProcess(ctx), storage.Options{CheckChain: actionS3Credentials})
}

// actionS3Credentials fails when the action's environment holds no AWS
// credentials by any of the chain's means: an OpenWhisk action gets only
// what its deploy gave it (--storage-credentials).
func actionS3Credentials() error {
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" && os.Getenv("AWS_SECRET_ACCESS_KEY") != "" {
		return nil
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SHARED_CREDENTIALS_FILE"} {
		if os.Getenv(k) != "" {
			return nil
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, ".aws", "credentials")); err == nil {
			return nil
		}
	}
	return errors.New("the OpenWhisk workers have no AWS credentials for S3 storage; deploy (or run) with " + openwhisk.CredentialsFlag)
}

// openwhiskFlags are the openwhisk backend's command-line settings.
type openwhiskFlags struct {
	apihost, auth, namespace string
	insecure, storageCreds   bool
	action, kind, collect    string
	execEnv                  string
	memory                   int
	timeout                  time.Duration
}

// add registers the flags.
func (f *openwhiskFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.apihost, "apihost", "", "API host (default APIHOST of ~/.wskprops or WSK_CONFIG_FILE, or WHISK_APIHOST)")
	fs.StringVar(&f.auth, "auth", "", "credentials uuid:key (default AUTH of ~/.wskprops, or WHISK_AUTH); never printed")
	fs.StringVar(&f.namespace, "namespace", "", "namespace (default the credentials' own)")
	fs.StringVar(&f.action, "action", "", "action name (default overcast)")
	fs.StringVar(&f.kind, "kind", "", "runtime kind: go:1.NN or blackbox (default: the deployment's default go kind, else its newest)")
	fs.StringVar(&f.execEnv, "execenv", "", "the action's exec.env, its image's OW_EXECUTION_ENV (default: openwhisk/ and the kind's image name, e.g. openwhisk/action-golang-v1.24)")
	fs.StringVar(&f.collect, "collect", "", "how results come back: list, poll or blocking (default "+openwhisk.DefaultCollect+"; bench's sim takes it too)")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification (self-signed deployments)")
	fs.Var(positive(&f.memory, 0), "memory", "action memory in MB (default 256)")
	fs.DurationVar(&f.timeout, "action-timeout", 0, "the action's time limit (default 60s)")
	fs.BoolVar(&f.storageCreds, "storage-credentials", false, "give the action your AWS credentials (as init parameters, readable by anyone with the namespace's key) so its workers reach s3:// storage; prefer a key limited to the bucket")
}

// checkCollect checks --collect.
func (f *openwhiskFlags) checkCollect() error {
	switch f.collect {
	case "", openwhisk.CollectList, openwhisk.CollectPoll, openwhisk.CollectBlocking:
		return nil
	}
	return usagef("--collect must be list, poll or blocking, got %q", f.collect)
}

// openwhiskURL turns the openwhisk flags into the backend URL.
func (b *backendFlags) openwhiskURL() (string, error) {
	return b.openwhisk.url(b.warn)
}

// url turns the flags into the backend URL, warning of --insecure. The
// credentials never go into it: open hands --auth to the driver's typed
// options.
func (f *openwhiskFlags) url(warn func(format string, args ...any)) (string, error) {
	if f.timeout < 0 {
		return "", usagef("--action-timeout must be positive, got %v", f.timeout)
	}
	if err := f.checkCollect(); err != nil {
		return "", err
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("apihost", f.apihost)
	set("namespace", f.namespace)
	set("action", f.action)
	set("kind", f.kind)
	set("execenv", f.execEnv)
	set("collect", f.collect)
	if f.insecure {
		q.Set("insecure", "true")
		warn("warning: --insecure: TLS certificates of the OpenWhisk API are not verified")
	}
	if f.memory > 0 {
		q.Set("memory", strconv.Itoa(f.memory))
	}
	if f.timeout > 0 {
		q.Set("timeout", f.timeout.String())
	}
	if f.storageCreds {
		q.Set("storage_credentials", "true")
	}
	return "openwhisk://?" + q.Encode(), nil
}

// open opens the driver of an openwhisk:// URL with --auth, when given,
// over the configuration chain's credentials.
func (f *openwhiskFlags) open(ctx context.Context, u *url.URL) (driver.Backend, error) {
	o, err := openwhisk.ParseURL(u)
	if err != nil {
		return nil, err
	}
	o.Config.Auth = f.auth
	return openwhisk.Open(ctx, o)
}
