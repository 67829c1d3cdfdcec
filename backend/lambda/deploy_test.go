package lambda

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/deploy"
)

// fakeWorker makes Deploy pack a small file with the given content instead
// of building the overcast binary.
func fakeWorker(t *testing.T, content *string) {
	t.Helper()
	old, oldDelay := workerBinary, waitMinDelay
	workerBinary = func(ctx context.Context, goarch, dir string) (*deploy.Binary, error) {
		p := filepath.Join(dir, "worker-"+goarch)
		return &deploy.Binary{Path: p, GOARCH: goarch}, os.WriteFile(p, []byte(*content), 0o755)
	}
	waitMinDelay = 10 * time.Millisecond
	t.Cleanup(func() { workerBinary, waitMinDelay = old, oldDelay })
}

func openDeployer(t *testing.T, endpoint, settings string) *Driver {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	u, err := url.Parse("lambda://overcast?deploy=true&endpoint=" + endpoint + settings)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() }) // stops probing endpoints out of rotation
	return d
}

func TestDeployLifecycle(t *testing.T) {
	s, ep := newStandIn(t)
	code := "worker v1"
	fakeWorker(t, &code)
	d := openDeployer(t, ep, "&arch=arm64&role=arn:aws:iam::123456789012:role/overcast-worker&memory=512&timeout=60")
	ctx := context.Background()
	s.pending = 1 // the new function starts Pending: Deploy must wait

	info, err := d.Deploy(ctx)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	f := s.fns["overcast"]
	if !info.Uploaded || f == nil || f.Runtime != "provided.al2023" || f.Handler != "bootstrap" ||
		f.Architectures[0] != "arm64" || f.MemorySize != 512 || f.Timeout != 60 || !strings.HasSuffix(f.Role, "role/overcast-worker") {
		t.Fatalf("after create: info %+v, function %+v", info, f)
	}
	entry, data := zipEntry(t, s.zips[0])
	if entry.Name != "bootstrap" || entry.Mode().Perm() != 0o755 || string(data) != code {
		t.Fatalf("archive holds %s %v %q, want bootstrap 0755 %q", entry.Name, entry.Mode(), data, code)
	}
	if info.CodeHash != deploy.CodeHash(s.zips[0]) || info.Bytes != len(s.zips[0]) {
		t.Errorf("info %+v does not describe the uploaded archive", info)
	}
	if s.pending != 0 || !contains(s.calls, "GET /2015-03-31/functions/overcast/configuration") {
		t.Errorf("Deploy did not wait for the function to become active: calls %v", s.calls)
	}

	info, err = d.Deploy(ctx)
	if err != nil || info.Uploaded || len(s.zips) != 1 {
		t.Fatalf("unchanged redeploy: info %+v, err %v, %d uploads; want no upload", info, err, len(s.zips))
	}

	code = "worker v2"
	info, err = d.Deploy(ctx)
	if err != nil || !info.Uploaded || len(s.zips) != 2 {
		t.Fatalf("changed redeploy: info %+v, err %v, %d uploads; want an update", info, err, len(s.zips))
	}
	if _, data := zipEntry(t, s.zips[1]); string(data) != code {
		t.Errorf("updated archive holds %q, want %q", data, code)
	}

	if err := d.Undeploy(ctx); err != nil || s.fns["overcast"] != nil {
		t.Fatalf("undeploy: %v; functions %v", err, s.fns)
	}
	if err := d.Undeploy(ctx); !errors.Is(err, driver.ErrNotDeployed) || !strings.Contains(err.Error(), "function overcast does not exist") {
		t.Errorf("undeploy of a missing function: %v, want ErrNotDeployed", err)
	}
}

func TestDeployReconfigures(t *testing.T) {
	s, ep := newStandIn(t)
	code := "worker"
	fakeWorker(t, &code)
	role := "&role=arn:aws:iam::123456789012:role/r"
	if _, err := openDeployer(t, ep, role+"&arch=x86_64").Deploy(context.Background()); err != nil {
		t.Fatal(err)
	}
	info, err := openDeployer(t, ep, role+"&arch=x86_64&memory=2048").Deploy(context.Background())
	if f := s.fns["overcast"]; err != nil || info.Uploaded || f.MemorySize != 2048 || f.Timeout != int32(DefaultTimeout/time.Second) {
		t.Fatalf("memory change: info %+v, err %v, function %+v; want memory 2048 without an upload", info, err, f)
	}
	info, err = openDeployer(t, ep, role+"&arch=arm64").Deploy(context.Background())
	if f := s.fns["overcast"]; err != nil || !info.Uploaded || f.Architectures[0] != "arm64" {
		t.Fatalf("arch change: info %+v, err %v, function %+v; want an upload for arm64", info, err, f)
	}
}

func TestDeployErrors(t *testing.T) {
	code := "worker"
	fakeWorker(t, &code)
	tests := []struct {
		name    string
		refuse  bool
		want    driver.ErrorCode
		message string
	}{
		{"missing role", false, driver.InvalidArgument, "set --role to an execution role ARN"},
		{"access denied", true, driver.PermissionDenied, "AWS refused the request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ep := newStandIn(t)
			s.refuse = tt.refuse
			_, err := openDeployer(t, ep, "").Deploy(context.Background())
			if errorCode(err) != tt.want || err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("Deploy error = %v (code %v), want %v with %q", err, errorCode(err), tt.want, tt.message)
			}
			if len(s.fns) != 0 || len(s.zips) != 0 {
				t.Errorf("a failed deploy created functions %v", s.fns)
			}
		})
	}
}

func TestDeploySkippedForEmulators(t *testing.T) {
	s, ep := newStandIn(t)
	d := openDeployer(t, ep, "&deploy=false")
	info, err := d.Deploy(context.Background())
	if err != nil || info.Uploaded || len(s.calls) != 0 {
		t.Fatalf("Deploy with deploy=false: info %+v, err %v, calls %v; want nothing done", info, err, s.calls)
	}
	if err := d.Undeploy(context.Background()); !errors.Is(err, driver.ErrNotDeployed) || len(s.calls) != 0 {
		t.Fatalf("Undeploy with deploy=false: %v, calls %v", err, s.calls)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
