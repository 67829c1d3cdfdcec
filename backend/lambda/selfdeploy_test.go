package lambda

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/deploy"
)

// The Lambda Runtime Interface Emulator has no control API, so a library
// self-deploy cannot run against it end to end; these tests cover its
// decisions against the control-plane stand-in instead.

// buildStatic builds deploy's small test program as a static linux/goarch
// executable: a program that would deploy itself.
func buildStatic(t *testing.T, goarch string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "program")
	cmd := exec.Command("go", "build", "-o", out, "github.com/overcast-sc/overcast/deploy/testdata/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, b)
	}
	return out
}

// TestExecutorDeployDecides runs Executor.Deploy for a program that is a
// static linux/amd64 executable: on x86_64 the program itself is
// uploaded, once, and a second executor (a second run) uploads nothing as
// the function's CodeSha256 matches; on arm64 nothing is uploaded and the
// error names the cross build and the architecture that serves as is.
func TestExecutorDeployDecides(t *testing.T) {
	prog := buildStatic(t, "amd64")
	old, oldDelay := workerBinary, waitMinDelay
	workerBinary = func(ctx context.Context, goarch, dir string) (*deploy.Binary, error) {
		return deploy.WorkerBinaryOf(ctx, prog, goarch, dir)
	}
	waitMinDelay = 10 * time.Millisecond
	t.Cleanup(func() { workerBinary, waitMinDelay = old, oldDelay })
	t.Setenv("OVERCAST_CACHE", t.TempDir())
	s, ep := newStandIn(t)
	ctx := context.Background()
	role := "&role=arn:aws:iam::123456789012:role/overcast-worker"

	for run := 1; run <= 2; run++ {
		ex := overcast.NewExecutorFor(backend.New("lambda", openDeployer(t, ep, "&arch=x86_64"+role)), nil)
		info, err := ex.Deploy(ctx)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if info.Uploaded != (run == 1) || len(s.zips) != 1 || info.CodeHash != deploy.CodeHash(s.zips[0]) {
			t.Fatalf("run %d: info %+v, %d uploads; want one upload, on the first run", run, info, len(s.zips))
		}
	}
	_, data := zipEntry(t, s.zips[0])
	orig, _ := os.ReadFile(prog)
	if want, _, _ := deploy.Strip(orig); string(data) != string(want) {
		t.Errorf("the bootstrap uploaded is not the program itself, stripped")
	}

	ex := overcast.NewExecutorFor(backend.New("lambda", openDeployer(t, ep, "&arch=arm64"+role)), nil)
	_, err := ex.Deploy(ctx)
	if err == nil || !strings.Contains(err.Error(), "GOARCH=arm64 go build") || !strings.Contains(err.Error(), "or deploy for linux/amd64") {
		t.Errorf("arm64 deploy of an amd64 program: %v; want the cross build and amd64 named", err)
	}
	if len(s.zips) != 1 {
		t.Errorf("the arm64 deploy uploaded something: %d uploads", len(s.zips))
	}
}

// TestTypedOptionsSideBySide opens two drivers from typed options alone,
// no URL: each is defaulted as a URL is, and each signs with its own
// credentials, with nothing kept for the process.
func TestTypedOptionsSideBySide(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCHAIN")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
	_, ep := newStandIn(t)
	ctx := context.Background()
	keys := []string{"AKIDALPHA", "AKIDBETA"}
	var ds []*Driver
	for _, k := range keys {
		d, err := Open(ctx, &Options{Endpoints: []string{ep}, Credentials: credentials.NewStaticCredentialsProvider(k, "secret-"+k, "")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		ds = append(ds, d)
	}
	for i, d := range ds {
		o := d.Options()
		if o.Function != EmulatorFunction || o.Arch != LocalArch() {
			t.Errorf("typed options against an endpoint: function %q arch %q, want %q and %q", o.Function, o.Arch, EmulatorFunction, LocalArch())
		}
		c, err := d.cfg.Credentials.Retrieve(ctx)
		if err != nil || c.AccessKeyID != keys[i] {
			t.Errorf("driver %d signs as %q (%v), want %q", i, c.AccessKeyID, err, keys[i])
		}
	}
	if _, err := Open(ctx, &Options{Endpoints: []string{ep}, Arch: "mips"}); err == nil || !strings.Contains(err.Error(), "arch must be arm64 or x86_64") {
		t.Errorf("typed options with arch mips: %v, want a refusal", err)
	}
}
