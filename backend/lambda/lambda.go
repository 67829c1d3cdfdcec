// Package lambda runs tasks as AWS Lambda invocations. The worker is the
// overcast binary itself, deployed as the function's bootstrap (runtime
// provided.al2023); each attempt is one synchronous (RequestResponse)
// Invoke through aws-sdk-go-v2 whose payload is the encoded task envelope.
//
// Open it by URL, or with typed Options (Open), which need no URL and
// hold nothing process-wide:
//
//	lambda://FUNCTION?region=&profile=&endpoint=&arch=arm64|x86_64&memory=&timeout=&role=&deploy=&concurrency=
//
// FUNCTION defaults to "overcast", or to "function", the only name the
// Runtime Interface Emulator answers to, when endpoint is set; a function= setting, which can hold an
// ARN, overrides it. Credentials and region follow the
// standard AWS chain; region and profile override it. endpoint points the
// SDK at an emulator or a Lambda-compatible service and may list several
// base URLs separated by commas: the driver then spreads invocations over
// them round-robin with at most one in flight per endpoint (the Runtime
// Interface Emulator takes one invoke at a time), and its capacity is the
// number of endpoints. Against AWS itself the capacity is concurrency, or
// the account's concurrent executions limit, or 1,000.
//
// memory (MB), timeout (seconds or a duration), arch and role configure
// the function Deploy creates; deploy=false makes Deploy a no-op, which
// is the default when endpoint is set. SDK retries are off: the Overcast
// scheduler retries throttling (429) and service errors (5xx) itself. A
// throttle's error carries Lambda's reason and Retry-After
// (driver.PerMinuteError): the portable backend halves its window of
// invocations in flight on a concurrency throttle, slows down on a rate
// throttle, and sends nothing before the Retry-After has passed.
package lambda

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/internal/rotation"
)

func init() {
	backend.Register("lambda", func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		opts, err := ParseURL(u)
		if err != nil {
			return nil, err
		}
		return Open(ctx, opts)
	})
}

// Defaults for the function Deploy creates and the driver's capacity.
const (
	DefaultFunction    = "overcast"
	EmulatorFunction   = "function"
	DefaultMemoryMB    = 1769 // one full vCPU
	DefaultTimeout     = 300 * time.Second
	DefaultConcurrency = 1000
)

// Options configure the lambda backend.
type Options struct {
	// Function is the function name (or ARN) to invoke and deploy.
	Function string
	// Region and Profile override the standard AWS configuration chain.
	Region, Profile string
	// Endpoints are base URLs of emulators or Lambda-compatible services;
	// empty means AWS itself.
	Endpoints []string
	// Arch is the function's architecture: "arm64" or "x86_64".
	Arch string
	// Worker is the path of a linux executable of that architecture to
	// deploy as the function's bootstrap, built apart (CGO_ENABLED=0)
	// from a program that serves the same tasks; empty means the running
	// program itself, or a build of it (see deploy.WorkerBinary).
	Worker string
	// MemoryMB and Timeout configure the deployed function; zero means the
	// defaults. MemoryMB is also the fallback for billing records.
	MemoryMB int
	Timeout  time.Duration
	// Role is the execution role ARN CreateFunction needs.
	Role string
	// Deploy tells whether Deploy installs code; nil means yes against AWS
	// and no against endpoints (emulators run a local bootstrap).
	Deploy *bool
	// Concurrency bounds invocations in flight; zero means one per endpoint,
	// or the account's limit against AWS.
	Concurrency int
	// HTTPClient sends the driver's requests; nil means a client of the
	// SDK's with idle connections for Concurrency invocations.
	HTTPClient *http.Client
	// Credentials, when set, are this driver's AWS credentials in place of
	// the chain's (environment, profile, instance role); drivers with
	// different ones work side by side in one process.
	Credentials aws.CredentialsProvider
}

// ParseURL reads Options from a lambda:// URL.
func ParseURL(u *url.URL) (*Options, error) {
	opts := &Options{Function: u.Host}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return nil, fmt.Errorf("lambda URL takes the function name as host and no path, got path %q", u.Path)
	}
	for k, v := range u.Query() {
		if err := opts.set(k, v[len(v)-1]); err != nil {
			return nil, err
		}
	}
	opts.defaults()
	return opts, nil
}

// defaults fills in the function name and architecture when unset.
func (o *Options) defaults() {
	if o.Function == "" {
		o.Function = DefaultFunction
		if len(o.Endpoints) > 0 {
			o.Function = EmulatorFunction
		}
	}
	if o.Arch == "" {
		o.Arch = "arm64" // cheaper per GB-second on AWS
		if len(o.Endpoints) > 0 {
			o.Arch = LocalArch() // an emulator runs the binary on this machine
		}
	}
}

// check checks typed options as ParseURL checks a URL's settings.
func (o *Options) check() error {
	switch {
	case o.Arch != "arm64" && o.Arch != "x86_64":
		return fmt.Errorf("arch must be arm64 or x86_64, got %q", o.Arch)
	case o.MemoryMB != 0 && (o.MemoryMB < 128 || o.MemoryMB > 10240):
		return fmt.Errorf("memory must be MB between 128 and 10240, got %d", o.MemoryMB)
	case o.Timeout != 0 && (o.Timeout < time.Second || o.Timeout > 15*time.Minute || o.Timeout%time.Second != 0):
		return fmt.Errorf("timeout must be whole seconds between 1 and 900, got %v", o.Timeout)
	case o.Concurrency < 0:
		return fmt.Errorf("concurrency must not be negative, got %d", o.Concurrency)
	}
	for _, ep := range o.Endpoints {
		if _, err := parseEndpoints(ep); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) set(k, v string) error {
	var err error
	switch k {
	case "function": // for names a URL host cannot hold, such as ARNs
		o.Function = v
	case "region":
		o.Region = v
	case "profile":
		o.Profile = v
	case "role":
		o.Role = v
	case "endpoint":
		o.Endpoints, err = parseEndpoints(v)
	case "arch":
		if v != "arm64" && v != "x86_64" {
			return fmt.Errorf("arch must be arm64 or x86_64, got %q", v)
		}
		o.Arch = v
	case "memory":
		o.MemoryMB, err = strconv.Atoi(v)
		if err != nil || o.MemoryMB < 128 || o.MemoryMB > 10240 {
			return fmt.Errorf("memory must be MB between 128 and 10240, got %q", v)
		}
	case "timeout":
		o.Timeout, err = parseSeconds(v)
	case "deploy":
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return fmt.Errorf("deploy must be true or false, got %q", v)
		}
		o.Deploy = &b
	case "concurrency":
		o.Concurrency, err = strconv.Atoi(v)
		if err != nil || o.Concurrency < 1 {
			return fmt.Errorf("concurrency must be a positive integer, got %q", v)
		}
	default:
		return fmt.Errorf("unknown setting %q (known: function, region, profile, endpoint, arch, memory, timeout, role, deploy, concurrency)", k)
	}
	return err
}

// parseSeconds reads a function timeout: whole seconds ("30") or a Go
// duration ("30s", "15m") of whole seconds between 1 s and 15 minutes.
func parseSeconds(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if n, aerr := strconv.Atoi(v); aerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < time.Second || d > 15*time.Minute || d%time.Second != 0 {
		return 0, fmt.Errorf("timeout must be whole seconds between 1 and 900, got %q", v)
	}
	return d, nil
}

// parseEndpoints reads comma-separated http(s) base URLs
// (rotation.ParseEndpoints).
func parseEndpoints(v string) ([]string, error) {
	return rotation.ParseEndpoints(v, "the driver signs its requests with the AWS credentials chain (or profile=) instead")
}

// GOARCH returns the Go architecture of a Lambda architecture name.
func GOARCH(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return "arm64"
}

// LocalArch returns the Lambda architecture name of this machine.
func LocalArch() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return "arm64"
}

func (o *Options) deploys() bool {
	if o.Deploy != nil {
		return *o.Deploy
	}
	return len(o.Endpoints) == 0
}

func (o *Options) memoryMB() int {
	if o.MemoryMB > 0 {
		return o.MemoryMB
	}
	return DefaultMemoryMB
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}
