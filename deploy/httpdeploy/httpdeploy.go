// Package httpdeploy writes what a user applies to run the worker on an
// HTTP function platform, instead of calling the platform itself: the
// worker binary and a Dockerfile for its image, and a Knative Service, a
// Cloud Run service, an OpenFaaS stack.yml, or an Azure Functions custom
// handler (host.json and function.json). The credential the worker checks
// appears in them only as a reference to a secret the user creates, never
// as a value: Write is never given it.
package httpdeploy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Target is a platform that deploy files are written for.
type Target string

// The targets.
const (
	Knative  Target = "knative"
	CloudRun Target = "cloudrun"
	OpenFaaS Target = "openfaas"
	Azure    Target = "azure"
)

// Targets lists the targets in the order help shows them.
var Targets = []Target{Knative, CloudRun, OpenFaaS, Azure}

// What the worker and the platforms agree on. Each is one constant, so that
// a change on the worker's side is one change here.
const (
	// TokenEnv is the worker's environment variable holding the credential
	// that every task request must carry.
	TokenEnv = "OVERCAST_TOKEN"
	// SecretName names the secret that holds the credential: a Kubernetes
	// Secret, a Secret Manager secret, an OpenFaaS secret, a Key Vault
	// secret.
	SecretName = "overcast-token"
	// SecretKey is the key of the credential in the Kubernetes Secret.
	SecretKey = "token"
	// InvokePath is the worker's route for a task; the http backend posts
	// to the endpoint followed by it.
	InvokePath = "/invoke"
	// HealthPath is the worker's health route, which answers without the
	// credential.
	HealthPath = "/healthz"
	// ContainerPort is the port the platforms give the container in PORT.
	ContainerPort = 8080
	// BinaryName is the worker binary's name in the output directory and
	// in the image (at the root).
	BinaryName = "overcast"
	// concurrencyFlag and tokenFileFlag are the flags of worker serve
	// that the files pass: its bound on tasks in flight and the file
	// holding its credential.
	concurrencyFlag = "--concurrency"
	tokenFileFlag   = "--token-file"
	addrFlag        = "--addr"
)

// WorkerCommand is the command the platform starts in the container.
var WorkerCommand = []string{"worker", "serve"}

// DefaultBase is the image the worker's image is built on: distroless
// static has CA certificates (the workers reach S3 over TLS), /tmp, and a
// non-root user, and no shell.
const DefaultBase = "gcr.io/distroless/static-debian12:nonroot"

// WatchdogImage is the image the OpenFaaS image copies of-watchdog from.
const WatchdogImage = "ghcr.io/openfaas/of-watchdog:0.11.5"

// Options say what to write.
type Options struct {
	// Target is the platform.
	Target Target
	// Dir is the output directory; Write creates it.
	Dir string
	// Binary is the path of the linux worker binary to copy into Dir.
	Binary string
	// GOARCH is the binary's architecture: amd64 or arm64.
	GOARCH string
	// Image is the image reference to build, push and run (every target
	// but Azure, which runs the binary itself).
	Image string
	// Base is the base image of the Dockerfile; default DefaultBase.
	Base string
	// Service names the service, function or function app; default
	// "overcast".
	Service string
	// CPU is the vCPUs of one instance; default 1.
	CPU int
	// Concurrency is the tasks one instance runs at once, passed to both
	// the platform and the worker; default DefaultConcurrency.
	Concurrency int
	// Timeout is the longest request; default DefaultTimeout.
	Timeout time.Duration
}

// DefaultConcurrency is the default tasks in flight per instance: 80 on
// Cloud Run (the platform's own default), else two per vCPU, so that a
// task waiting on storage leaves the CPU to another without tasks
// crowding out each other's CPU.
func DefaultConcurrency(t Target, cpu int) int {
	if t == CloudRun {
		return 80
	}
	return 2 * cpu
}

// DefaultTimeout is the default request timeout: Knative's and Cloud
// Run's default of 300 s, and on Azure the 230 s after which its load
// balancer drops an HTTP-triggered request whatever the function's timeout.
func DefaultTimeout(t Target) time.Duration {
	if t == Azure {
		return AzureMaxTimeout
	}
	return 300 * time.Second
}

// AzureMaxTimeout is the longest an HTTP-triggered Azure function may take
// to answer.
const AzureMaxTimeout = 230 * time.Second

// MaxTimeout is the longest request timeout a target accepts: Knative's
// max-revision-timeout-seconds default (600 s), Cloud Run's limit (60
// minutes), Azure's 230 s; OpenFaaS has no limit of its own, so 60
// minutes too.
func MaxTimeout(t Target) time.Duration {
	switch t {
	case Knative:
		return 600 * time.Second
	case Azure:
		return AzureMaxTimeout
	}
	return time.Hour
}

// MaxConcurrency bounds Options.Concurrency: Knative's and Cloud Run's
// container-concurrency limit.
const MaxConcurrency = 1000

// ParseTarget returns the target a name gives.
func ParseTarget(name string) (Target, error) {
	for _, t := range Targets {
		if string(t) == name {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown target %q (known: %s)", name, targetList())
}

func targetList() string {
	s := make([]string, len(Targets))
	for i, t := range Targets {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

var (
	// serviceName is a DNS-1035 label short enough for every platform
	// (Cloud Run allows 49 characters).
	serviceName = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$`)
	// imageRef is an image reference: registry host and port, path,
	// tag or digest, nothing a shell or YAML would read otherwise.
	imageRef = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
)

// Check checks the options as Write does, without writing anything.
func Check(o Options) error {
	_, err := o.withDefaults()
	return err
}

// withDefaults checks o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if _, err := ParseTarget(string(o.Target)); err != nil {
		return o, err
	}
	if o.Dir == "" {
		return o, errors.New("no output directory")
	}
	if o.Service == "" {
		o.Service = "overcast"
	}
	if !serviceName.MatchString(o.Service) {
		return o, fmt.Errorf("service name %q must be 1 to 49 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", o.Service)
	}
	if err := o.checkImages(); err != nil {
		return o, err
	}
	if o.GOARCH != "amd64" && o.GOARCH != "arm64" {
		return o, fmt.Errorf("architecture %q: amd64 or arm64", o.GOARCH)
	}
	if o.Target == Azure && o.GOARCH != "amd64" {
		return o, errors.New("custom handlers run on linux/amd64 only on Azure Functions")
	}
	if o.CPU == 0 {
		o.CPU = 1
	}
	if o.CPU < 1 || o.CPU > 8 {
		return o, fmt.Errorf("cpu %d: 1 to 8 vCPUs", o.CPU)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency(o.Target, o.CPU)
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return o, fmt.Errorf("concurrency %d: 1 to %d tasks per instance", o.Concurrency, MaxConcurrency)
	}
	return o, o.checkTimeout()
}

// checkImages checks the image and the base image.
func (o *Options) checkImages() error {
	if o.Base == "" {
		o.Base = DefaultBase
	}
	if o.Base != "scratch" && !imageRef.MatchString(o.Base) {
		return fmt.Errorf("base image %q is not an image reference", o.Base)
	}
	if o.Target == OpenFaaS && o.Base == "scratch" {
		return errors.New("of-watchdog needs a writable /tmp, which scratch lacks: use a distroless static base")
	}
	if o.Target == Azure {
		if o.Image != "" {
			return errors.New("no image on azure: the function app runs the binary as a custom handler")
		}
		return nil
	}
	if o.Image == "" {
		return fmt.Errorf("%s runs an image: name the one to push, e.g. ghcr.io/you/overcast-worker:1", o.Target)
	}
	if !imageRef.MatchString(o.Image) {
		return fmt.Errorf("image %q is not an image reference (lowercase registry/path[:tag][@sha256:digest])", o.Image)
	}
	return nil
}

// checkTimeout fills in and checks the request timeout.
func (o *Options) checkTimeout() error {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout(o.Target)
	}
	max := MaxTimeout(o.Target)
	if o.Timeout < time.Second || o.Timeout%time.Second != 0 || o.Timeout > max {
		why := ""
		if o.Target == Azure {
			why = " (Azure's load balancer drops an HTTP request after 230 s)"
		}
		return fmt.Errorf("request timeout %v: whole seconds from 1s to %v on %s%s", o.Timeout, max, o.Target, why)
	}
	return nil
}

// workerArgs is the worker's command line after the binary.
func (o Options) workerArgs(extra ...string) []string {
	args := append([]string{}, WorkerCommand...)
	args = append(args, concurrencyFlag, fmt.Sprint(o.Concurrency))
	return append(args, extra...)
}
