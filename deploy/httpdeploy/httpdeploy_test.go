package httpdeploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"
)

// write writes o's files into a fresh directory, with a small file as the
// worker binary, and returns the result.
func write(t *testing.T, o Options) *Result {
	t.Helper()
	if o.Dir == "" {
		o.Dir = filepath.Join(t.TempDir(), "out")
	}
	if o.Binary == "" {
		o.Binary = filepath.Join(t.TempDir(), "worker")
		if err := os.WriteFile(o.Binary, []byte("\x7fELF worker"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if o.GOARCH == "" {
		o.GOARCH = "amd64"
	}
	r, err := Write(o)
	if err != nil {
		t.Fatalf("Write(%+v): %v", o, err)
	}
	return r
}

func readFile(t *testing.T, r *Result, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Options.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeService decodes a Knative-shaped service strictly (an unknown or
// misspelt field fails) into knative.dev/serving's own type, then defaults
// and validates it as Knative's admission webhook does, with a longest
// request of maxTimeout seconds. Warnings fail too unless onlyErrors.
func decodeService(t *testing.T, data []byte, maxTimeout int, onlyErrors bool) *servingv1.Service {
	t.Helper()
	var svc servingv1.Service
	if err := yaml.UnmarshalStrict(data, &svc); err != nil {
		t.Fatalf("decode the service: %v\n%s", err, data)
	}
	if svc.APIVersion != "serving.knative.dev/v1" || svc.Kind != "Service" {
		t.Errorf("apiVersion %q kind %q, want serving.knative.dev/v1 Service", svc.APIVersion, svc.Kind)
	}
	defaults, err := config.NewDefaultsConfigFromMap(map[string]string{"max-revision-timeout-seconds": fmt.Sprint(maxTimeout)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := config.ToContext(context.Background(), &config.Config{Defaults: defaults})
	svc.SetDefaults(ctx)
	verr := svc.Validate(ctx)
	if onlyErrors {
		verr = verr.Filter(apis.ErrorLevel)
	}
	if verr != nil {
		t.Errorf("Knative rejects the service: %v", verr)
	}
	return &svc
}

// tokenFromSecret checks that the container's only use of the credential
// is TokenEnv from a secretKeyRef to SecretName with key.
func tokenFromSecret(t *testing.T, c corev1.Container, key string) {
	t.Helper()
	var found bool
	for _, e := range c.Env {
		if e.Value != "" && e.Name == TokenEnv {
			t.Errorf("%s is set inline", TokenEnv)
		}
		if e.Name != TokenEnv {
			continue
		}
		found = true
		ref := e.ValueFrom
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != SecretName || ref.SecretKeyRef.Key != key {
			t.Errorf("%s comes from %+v, want the secret %s key %s", TokenEnv, ref, SecretName, key)
		}
	}
	if !found {
		t.Errorf("no %s in the container's environment: %+v", TokenEnv, c.Env)
	}
}

func TestKnativeService(t *testing.T) {
	r := write(t, Options{Target: Knative, Image: "registry.example:5000/team/overcast-worker:v1", CPU: 2, Service: "pi-workers"})
	svc := decodeService(t, readFile(t, r, "service.yaml"), 600, false)
	spec := svc.Spec.Template.Spec
	if svc.Name != "pi-workers" {
		t.Errorf("name %q, want pi-workers", svc.Name)
	}
	if cc := spec.ContainerConcurrency; cc == nil || *cc != 4 {
		t.Errorf("containerConcurrency %v, want 4 (two per vCPU)", cc)
	}
	if ts := spec.TimeoutSeconds; ts == nil || *ts != 300 {
		t.Errorf("timeoutSeconds %v, want 300", ts)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Image != "registry.example:5000/team/overcast-worker:v1" {
		t.Errorf("image %q", c.Image)
	}
	if got, want := strings.Join(c.Args, " "), "worker serve --concurrency 4"; got != want {
		t.Errorf("args %q, want %q", got, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != ContainerPort {
		t.Errorf("ports %+v, want %d", c.Ports, ContainerPort)
	}
	tokenFromSecret(t, c, SecretKey)
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != HealthPath {
		t.Errorf("readiness probe %+v, want GET %s", p, HealthPath)
	}
	if cpu := c.Resources.Limits.Cpu(); cpu.Value() != 2 {
		t.Errorf("cpu limit %v, want 2", cpu)
	}
	if mem := c.Resources.Limits.Memory(); mem.Value() != 1024<<20 {
		t.Errorf("memory limit %v, want 1Gi", mem)
	}
}

func TestCloudRunService(t *testing.T) {
	r := write(t, Options{Target: CloudRun, Image: "europe-docker.pkg.dev/p/r/overcast@sha256:" + strings.Repeat("ab", 32),
		Timeout: 45 * time.Minute})
	// Cloud Run takes requests of up to 60 minutes; its own validation,
	// not Knative's, rules on securityContext.
	svc := decodeService(t, readFile(t, r, "service.yaml"), 3600, true)
	spec := svc.Spec.Template.Spec
	if cc := spec.ContainerConcurrency; cc == nil || *cc != 80 {
		t.Errorf("containerConcurrency %v, want Cloud Run's default 80", cc)
	}
	if ts := spec.TimeoutSeconds; ts == nil || *ts != 2700 {
		t.Errorf("timeoutSeconds %v, want 2700", ts)
	}
	c := spec.Containers[0]
	if !strings.HasPrefix(c.Image, "europe-docker.pkg.dev/p/r/overcast@sha256:") {
		t.Errorf("image %q", c.Image)
	}
	if got := strings.Join(c.Args, " "); got != "worker serve --concurrency 80" {
		t.Errorf("args %q", got)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != ContainerPort || c.Ports[0].Name != "http1" {
		t.Errorf("ports %+v, want http1 %d", c.Ports, ContainerPort)
	}
	tokenFromSecret(t, c, "latest") // a Secret Manager version
	if a := svc.Annotations["run.googleapis.com/ingress"]; a != "all" {
		t.Errorf("ingress annotation %q, want all", a)
	}
	if a := svc.Spec.Template.Annotations["run.googleapis.com/execution-environment"]; a != "gen2" {
		t.Errorf("execution-environment annotation %q", a)
	}
}

// stack mirrors the part of faas-cli's stack.yml schema the files use.
type stack struct {
	Version  string `json:"version"`
	Provider struct {
		Name    string `json:"name"`
		Gateway string `json:"gateway"`
	} `json:"provider"`
	Functions map[string]struct {
		Lang        string            `json:"lang"`
		Handler     string            `json:"handler"`
		Image       string            `json:"image"`
		Environment map[string]string `json:"environment"`
		Secrets     []string          `json:"secrets"`
		Requests    map[string]string `json:"requests"`
		Limits      map[string]string `json:"limits"`
	} `json:"functions"`
}

func TestOpenFaaSStack(t *testing.T) {
	r := write(t, Options{Target: OpenFaaS, Image: "ttl.sh/overcast:1h", Concurrency: 3, Timeout: 90 * time.Second})
	var s stack
	if err := yaml.UnmarshalStrict(readFile(t, r, "stack.yml"), &s); err != nil {
		t.Fatalf("decode stack.yml: %v", err)
	}
	if s.Provider.Name != "openfaas" || s.Version != "1.0" {
		t.Errorf("provider %q version %q", s.Provider.Name, s.Version)
	}
	f, ok := s.Functions["overcast"]
	if !ok || len(s.Functions) != 1 {
		t.Fatalf("functions %v, want overcast alone", s.Functions)
	}
	if f.Lang != "dockerfile" || f.Handler != "." || f.Image != "ttl.sh/overcast:1h" {
		t.Errorf("lang %q handler %q image %q", f.Lang, f.Handler, f.Image)
	}
	env := f.Environment
	want := map[string]string{
		"mode": "http", "upstream_url": "http://127.0.0.1:8081", "max_inflight": "3",
		"exec_timeout": "90s", "read_timeout": "90s", "write_timeout": "90s",
		"fprocess": "/overcast worker serve --concurrency 3 --addr 127.0.0.1:8081 --token-file /var/openfaas/secrets/overcast-token",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("environment %s = %q, want %q", k, env[k], v)
		}
	}
	if _, inline := env[TokenEnv]; inline {
		t.Errorf("%s is set inline", TokenEnv)
	}
	if len(f.Secrets) != 1 || f.Secrets[0] != SecretName {
		t.Errorf("secrets %v, want [%s]", f.Secrets, SecretName)
	}
	df := string(readFile(t, r, "Dockerfile"))
	for _, line := range []string{"FROM --platform=linux/amd64 " + WatchdogImage + " AS watchdog", "COPY --from=watchdog /fwatchdog /fwatchdog", `ENTRYPOINT ["/fwatchdog"]`} {
		if !strings.Contains(df, line+"\n") {
			t.Errorf("Dockerfile lacks %q:\n%s", line, df)
		}
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "gateway") {
		t.Errorf("a 90 s timeout has no note on the gateway's timeouts: %q", r.Notes)
	}
}

func TestAzureCustomHandler(t *testing.T) {
	r := write(t, Options{Target: Azure, Service: "my-overcast-app"})
	var host struct {
		Version         string `json:"version"`
		FunctionTimeout string `json:"functionTimeout"`
		CustomHandler   struct {
			Description struct {
				DefaultExecutablePath string   `json:"defaultExecutablePath"`
				WorkingDirectory      string   `json:"workingDirectory"`
				Arguments             []string `json:"arguments"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
		Extensions struct {
			HTTP struct {
				RoutePrefix           *string `json:"routePrefix"`
				MaxConcurrentRequests int     `json:"maxConcurrentRequests"`
			} `json:"http"`
		} `json:"extensions"`
	}
	strictJSON(t, readFile(t, r, "host.json"), &host)
	d := host.CustomHandler.Description
	if host.Version != "2.0" || d.DefaultExecutablePath != BinaryName || !host.CustomHandler.EnableForwardingHTTPRequest {
		t.Errorf("host.json: %+v", host)
	}
	if got := strings.Join(d.Arguments, " "); got != "worker serve --concurrency 2" {
		t.Errorf("arguments %q", got)
	}
	if host.FunctionTimeout != "00:03:50" {
		t.Errorf("functionTimeout %q, want Azure's HTTP limit 00:03:50", host.FunctionTimeout)
	}
	if host.Extensions.HTTP.MaxConcurrentRequests != 2 {
		t.Errorf("maxConcurrentRequests %d, want 2", host.Extensions.HTTP.MaxConcurrentRequests)
	}
	var fn struct {
		Bindings []struct {
			Type      string   `json:"type"`
			Direction string   `json:"direction"`
			Name      string   `json:"name"`
			AuthLevel string   `json:"authLevel"`
			Methods   []string `json:"methods"`
			Route     string   `json:"route"`
		} `json:"bindings"`
	}
	strictJSON(t, readFile(t, r, AzureFunction+"/function.json"), &fn)
	if len(fn.Bindings) != 2 {
		t.Fatalf("bindings %+v, want an HTTP trigger and its answer", fn.Bindings)
	}
	in, out := fn.Bindings[0], fn.Bindings[1]
	if in.Type != "httpTrigger" || in.Direction != "in" || len(in.Methods) != 1 || in.Methods[0] != "post" {
		t.Errorf("trigger %+v", in)
	}
	if out.Type != "http" || out.Direction != "out" {
		t.Errorf("output %+v", out)
	}
	// The host forwards the request as it came, on the path the app
	// serves it at: the route prefix, then the route.
	prefix := host.Extensions.HTTP.RoutePrefix
	if prefix == nil {
		t.Fatal("no routePrefix: Azure's default api would precede the route")
	}
	if path := strings.TrimSuffix("/"+*prefix, "/") + "/" + in.Route; path != InvokePath {
		t.Errorf("the function answers at %s, the worker at %s", path, InvokePath)
	}
	if last := r.Steps[len(r.Steps)-1]; !strings.HasSuffix(last, "--endpoint https://my-overcast-app.azurewebsites.net") {
		t.Errorf("last step %q", last)
	}
	for _, s := range r.Steps {
		if strings.Contains(s, "docker") {
			t.Errorf("Azure runs no image, yet a step is %q", s)
		}
	}
}

func strictJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
}

// TestDockerfile checks the image's Dockerfile: the binary from the
// output directory on the base, started as worker serve, not as root.
func TestDockerfile(t *testing.T) {
	r := write(t, Options{Target: Knative, Image: "overcast:1", GOARCH: "arm64", Base: "scratch", Concurrency: 7})
	df := string(readFile(t, r, "Dockerfile"))
	for _, line := range []string{
		"FROM --platform=linux/arm64 scratch", "COPY overcast /overcast", "USER 65532:65532",
		`ENTRYPOINT ["/overcast"]`, `CMD ["worker", "serve", "--concurrency", "7"]`,
	} {
		if !strings.Contains(df, line+"\n") {
			t.Errorf("Dockerfile lacks %q:\n%s", line, df)
		}
	}
	if !strings.Contains(r.Steps[0], "--platform linux/arm64") {
		t.Errorf("first step %q builds for another platform", r.Steps[0])
	}
	fi, err := os.Stat(filepath.Join(r.Options.Dir, BinaryName))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("the worker binary: %v, mode %v; want it executable", err, fi.Mode())
	}
}

// TestRewrite checks that a second Write replaces the files it wrote and
// leaves the user's own alone.
func TestRewrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	write(t, Options{Target: Knative, Dir: dir, Image: "overcast:1"})
	os.WriteFile(filepath.Join(dir, "NOTES"), []byte("mine"), 0o644)
	write(t, Options{Target: Knative, Dir: dir, Image: "overcast:2"})
	svc := decodeService(t, readFile(t, &Result{Options: Options{Dir: dir}}, "service.yaml"), 600, false)
	if img := svc.Spec.Template.Spec.Containers[0].Image; img != "overcast:2" {
		t.Errorf("image %q after the second write, want overcast:2", img)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "NOTES")); err != nil || string(b) != "mine" {
		t.Errorf("the user's file: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

// TestBadOptions checks that each bad option is refused with an error
// naming it, and nothing is written.
func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Target: "lambda"}, `unknown target "lambda"`},
		{Options{Target: Knative}, "name the one to push"},
		{Options{Target: Knative, Image: "Upper/Case"}, "not an image reference"},
		{Options{Target: Knative, Image: "x:1; rm -rf /"}, "not an image reference"},
		{Options{Target: Azure, Image: "x:1"}, "no image on azure"},
		{Options{Target: Azure, GOARCH: "arm64"}, "linux/amd64 only"},
		{Options{Target: Knative, Image: "x:1", GOARCH: "386"}, `architecture "386"`},
		{Options{Target: OpenFaaS, Image: "x:1", Base: "scratch"}, "/tmp"},
		{Options{Target: Knative, Image: "x:1", Base: "a b"}, "base image"},
		{Options{Target: Knative, Image: "x:1", Service: "Overcast"}, "service name"},
		{Options{Target: Knative, Image: "x:1", Service: strings.Repeat("a", 50)}, "service name"},
		{Options{Target: Knative, Image: "x:1", Timeout: 601 * time.Second}, "10m0s on knative"},
		{Options{Target: Knative, Image: "x:1", Timeout: 1500 * time.Millisecond}, "whole seconds"},
		{Options{Target: Azure, Timeout: 5 * time.Minute}, "230 s"},
		{Options{Target: CloudRun, Image: "x:1", Timeout: 61 * time.Minute}, "1h0m0s on cloudrun"},
		{Options{Target: CloudRun, Image: "x:1", Concurrency: 1001}, "1 to 1000"},
		{Options{Target: Knative, Image: "x:1", Concurrency: -1}, "1 to 1000"},
		{Options{Target: Knative, Image: "x:1", CPU: 9}, "1 to 8 vCPUs"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		o := tc.o
		o.Dir = dir
		if o.GOARCH == "" {
			o.GOARCH = "amd64"
		}
		_, err := Write(o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Write(%+v): %v; want one line with %q", tc.o, err, tc.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("Write(%+v) created the directory despite the error", tc.o)
		}
	}
	_, err := Write(Options{Target: Knative, Image: "x:1", GOARCH: "amd64", Dir: t.TempDir(), Binary: filepath.Join(t.TempDir(), "none")})
	if err == nil || !strings.Contains(err.Error(), "worker binary") {
		t.Errorf("a missing binary: %v", err)
	}
}

// TestQuote checks that values YAML would read otherwise come back as
// written.
func TestQuote(t *testing.T) {
	for _, s := range []string{"yes", "0x10", "a: b", "# c", "null", `"q"`, `back\slash`, "tab\there", "ünïcode", "<&>"} {
		var got struct{ V string }
		if err := yaml.Unmarshal([]byte("v: "+quote(s)), &got); err != nil || got.V != s {
			t.Errorf("quote(%q) reads back as %q (%v)", s, got.V, err)
		}
		var list struct{ V []string }
		if err := yaml.Unmarshal([]byte("v: "+flow([]string{s, "x"})), &list); err != nil || len(list.V) != 2 || list.V[0] != s {
			t.Errorf("flow([%q x]) reads back as %q (%v)", s, list.V, err)
		}
	}
}

// TestShellQuote checks the steps' quoting of paths.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"/tmp/out": "/tmp/out", "my dir": "'my dir'", "it's": `'it'\''s'`, "$HOME": "'$HOME'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCommandLeavesOutKubernetes checks that the overcast command links
// none of the Kubernetes and Knative modules these tests decode with:
// writing the files needs none of them.
func TestCommandLeavesOutKubernetes(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/overcast-sc/overcast/cmd/overcast").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v: %s", err, out)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/overcast-sc/overcast/deploy/httpdeploy") {
		t.Fatal("the command does not link deploy/httpdeploy: the check below proves nothing")
	}
	for _, p := range pkgs {
		for _, m := range []string{"knative.dev/", "k8s.io/", "sigs.k8s.io/"} {
			if strings.HasPrefix(p, m) {
				t.Errorf("the overcast command links %s", p)
			}
		}
	}
}
