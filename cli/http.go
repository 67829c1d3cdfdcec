package cli

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend/httpfn" // the http backend
)

// httpFlags are the http backend's command-line settings, but --endpoint
// (backendFlags.endpoint).
type httpFlags struct {
	auth, tokenFile, caFile   string
	concurrency, limit        int
	callbackAddr, callbackURL string
	callbackTimeout           time.Duration
}

// addHTTP registers the http flags.
func (b *backendFlags) addHTTP(fs *pflag.FlagSet) {
	f := &b.http
	b.addEndpoint(fs)
	fs.StringVar(&f.auth, "http-auth", "", "none, bearer, google (a Cloud Run ID token), azure (x-functions-key) or basic (default bearer when "+
		httpfn.EnvToken+" or --token-file is set, else none)")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the credential: the token, the Azure function key, user:pass, or a Google service account key "+
		"(default: "+httpfn.EnvToken+", "+httpfn.EnvAzureKey+", "+httpfn.EnvBasic+" or Google's default credentials)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM certificates to trust besides the system's, for workers behind TLS")
	fs.Var(positive(&f.concurrency, 0), "http-concurrency", "invocations in flight per endpoint (default 100)")
	fs.Var(positive(&f.limit, 0), "http-payload-limit", "largest task envelope in bytes the workers take; bigger data goes through --storage (default 32 MiB)")
	fs.StringVar(&f.callbackAddr, "callback-addr", "", "OpenFaaS async (--endpoint http://GATEWAY/async-function/NAME): the address the result listener binds (default 127.0.0.1:0)")
	fs.StringVar(&f.callbackURL, "callback-url", "", "OpenFaaS async: the listener's URL as the gateway reaches it, behind NAT or a proxy (default http://CALLBACK-ADDR)")
	fs.DurationVar(&f.callbackTimeout, "callback-timeout", 0, "OpenFaaS async: how long a task waits for its result before it is tried again (default 15m)")
}

// httpURL turns the http flags into an http:// URL; the backend checks
// the values. Credentials stay out of it: the backend reads them from
// the environment or the token file.
func (b *backendFlags) httpURL() (string, error) {
	f := &b.http
	if strings.TrimSpace(b.endpoint) == "" {
		return "", usagef("--backend http needs --endpoint URL[,URL...], the workers' base URLs")
	}
	q := url.Values{"endpoint": {b.endpoint}}
	if f.auth != "" {
		switch httpfn.Mode(f.auth) {
		case httpfn.ModeNone, httpfn.ModeBearer, httpfn.ModeGoogle, httpfn.ModeAzure, httpfn.ModeBasic:
		default:
			return "", usagef("--http-auth must be none, bearer, google, azure or basic, got %q", f.auth)
		}
		q.Set("auth", f.auth)
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("token-file", f.tokenFile)
	set("ca", f.caFile)
	if f.concurrency > 0 {
		q.Set("concurrency", strconv.Itoa(f.concurrency))
	}
	if f.limit > 0 {
		q.Set("limit", strconv.Itoa(f.limit))
	}
	set("callback-addr", f.callbackAddr)
	set("callback-url", f.callbackURL)
	if f.callbackTimeout != 0 {
		q.Set("callback-timeout", f.callbackTimeout.String())
	}
	return "http://?" + q.Encode(), nil
}

// addEndpoint registers --endpoint, which the lambda and http backends
// share.
func (b *backendFlags) addEndpoint(fs *pflag.FlagSet) {
	fs.StringVar(&b.endpoint, "endpoint", "", "base URL(s), comma-separated: of the http backend's workers, "+
		"or of Lambda emulators or a Lambda-compatible API (no deploy then)")
}
