package cli

import (
	"context"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	_ "github.com/overcast-sc/overcast/backend/lambda" // the lambda backend
	"github.com/overcast-sc/overcast/worker"
)

// lambdaFlags are the lambda backend's command-line settings, but
// --endpoint (backendFlags.endpoint).
type lambdaFlags struct {
	function, region, profile, arch, role string
	memory                                int
	timeout                               time.Duration
}

// lambdaMode is the worker started by Lambda's runtime.
func lambdaMode() workerMode {
	return workerMode{
		name:   "lambda",
		detect: func(args []string) bool { return worker.LambdaDetect(args, os.Environ()) },
		serve: func(ctx context.Context) int {
			worker.ServeLambda(worker.InOwnProcess(ctx))
			return 1 // ServeLambda exits the process itself
		},
	}
}

// addLambda registers the lambda flags.
func (b *backendFlags) addLambda(fs *pflag.FlagSet) {
	f := &b.lambda
	fs.StringVar(&f.function, "function", "", `function name or ARN (default "overcast"; with --endpoint "function", the emulator's name)`)
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS profile (default: AWS_PROFILE or default)")
	b.addEndpoint(fs)
	fs.StringVar(&f.arch, "arch", "", "arm64 or x86_64 (default arm64, which is cheaper; with --endpoint, this machine's)")
	fs.StringVar(&f.role, "role", "", "execution role ARN for creating the function")
	fs.Var(positive(&f.memory, 0), "lambda-memory", "function memory in MB, 128-10240 (default 1769, one vCPU)")
	fs.DurationVar(&f.timeout, "lambda-timeout", 0, "function timeout in whole seconds, up to 15m (default 5m)")
}

var plainFunctionName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// lambdaURL turns the lambda flags into a lambda:// URL; the backend
// checks the values.
func (b *backendFlags) lambdaURL() (string, error) {
	return b.lambda.url(b.endpoint)
}

// url turns the flags and --endpoint into a lambda:// URL.
func (f *lambdaFlags) url(endpoint string) (string, error) {
	q := url.Values{}
	host := f.function
	if host != "" && !plainFunctionName.MatchString(host) {
		host = ""
		q.Set("function", f.function)
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("region", f.region)
	set("profile", f.profile)
	set("endpoint", endpoint)
	set("arch", f.arch)
	set("role", f.role)
	if f.arch != "" && f.arch != "arm64" && f.arch != "x86_64" {
		return "", usagef("--arch must be arm64 or x86_64, got %q", f.arch)
	}
	if f.memory != 0 {
		if f.memory < 128 || f.memory > 10240 {
			return "", usagef("--lambda-memory must be between 128 and 10240 MB, got %d", f.memory)
		}
		q.Set("memory", strconv.Itoa(f.memory))
	}
	if f.timeout != 0 {
		if f.timeout < time.Second || f.timeout > 15*time.Minute || f.timeout%time.Second != 0 {
			return "", usagef("--lambda-timeout must be whole seconds between 1s and 15m, got %v", f.timeout)
		}
		q.Set("timeout", strconv.Itoa(int(f.timeout/time.Second)))
	}
	return "lambda://" + host + "?" + q.Encode(), nil
}
