package backend

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/driver"
)

// deployer is a driver whose platform holds a worker: Deploy uploads
// once, then finds the same code; fail makes it refuse.
type deployer struct {
	scripted
	uploads int
	fail    error
}

func (d *deployer) Deploy(ctx context.Context) (*driver.DeployInfo, error) {
	if d.fail != nil {
		return nil, d.fail
	}
	d.uploads++
	return &driver.DeployInfo{Name: "w", CodeHash: "abc", Uploaded: d.uploads == 1}, nil
}

func (d *deployer) Undeploy(ctx context.Context) error { return nil }

func (d *deployer) ErrorCode(err error) driver.ErrorCode { return driver.PermissionDenied }

func TestDeploy(t *testing.T) {
	ctx := context.Background()
	plain := New("plain", &scripted{capacity: 1})
	if info, err := plain.Deploy(ctx); info != nil || err != nil || plain.Deploys() {
		t.Errorf("Deploy on a driver without a worker = %+v, %v", info, err)
	}
	d := &deployer{scripted: scripted{capacity: 1}}
	b := New("dep", d)
	if !b.Deploys() {
		t.Fatal("Deploys() = false for a driver.Deployer")
	}
	for i, want := range []bool{true, false} {
		info, err := b.Deploy(ctx)
		if err != nil || info.Uploaded != want {
			t.Errorf("deploy %d = %+v, %v; want uploaded %v", i, info, err, want)
		}
	}
	d.fail = errors.New("refused")
	_, err := b.Deploy(ctx)
	if Code(err) != driver.PermissionDenied || err.Error() != "deploy to dep: refused" {
		t.Errorf("a refused deploy: %v (code %v), want it named and classified", err, Code(err))
	}
	b.Close()
	if _, err := b.Deploy(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Deploy after Close: %v", err)
	}
}

// TestOpenWith checks that an opener given to OpenWith replaces the
// scheme's registered one (even for an unregistered scheme) and that its
// errors are named as Open names them.
func TestOpenWith(t *testing.T) {
	ctx := context.Background()
	var got *url.URL
	open := func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		got = u
		if u.Query().Get("fail") != "" {
			return nil, errors.New("no such thing")
		}
		return &scripted{capacity: 3}, nil
	}
	b, err := OpenWith(ctx, "typed://?x=1", open)
	if err != nil || got.Query().Get("x") != "1" || b.Name() != "typed" || b.Capacity() != 3 {
		t.Fatalf("OpenWith = %v, %v (opener saw %v)", b, err, got)
	}
	b.Close()
	if _, err := OpenWith(ctx, "typed://?fail=1", open); err == nil || err.Error() != "typed backend: no such thing" {
		t.Errorf("failing opener: %v", err)
	}
	if _, err := OpenWith(ctx, "typed", nil); err == nil || !strings.Contains(err.Error(), `unknown backend "typed"`) {
		t.Errorf("unregistered scheme without an opener: %v", err)
	}
}
