package openwhisk

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/sim"
)

// tenant is one OpenWhisk namespace of the side-by-side test: its
// platform, its driver and the tasks its job runs.
type tenant struct {
	ns, action string
	tasks      int
	s          *sim.Server
	d          *Driver
	outs       []selftest.Output
	err        error
}

// TestNamespacesSideBySide runs two executors of one process on two
// OpenWhisk namespaces at once, each opened with typed options holding
// its own host, credentials and namespace: nothing is process-wide, so
// each deploys to and invokes only its own namespace and sees only its
// own actions and activations.
func TestNamespacesSideBySide(t *testing.T) {
	ts := []*tenant{{ns: "alpha", action: "alpha-worker", tasks: 7}, {ns: "beta", action: "beta-worker", tasks: 11}}
	for _, tn := range ts {
		var o Options
		tn.s, o = startSim(t, &sim.Options{Namespace: tn.ns}, Options{Action: tn.action})
		o.Config.Namespace = tn.ns
		tn.d = openInproc(t, o)
		t.Cleanup(func() { tn.d.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, tn := range ts {
		wg.Go(func() { tn.outs, tn.err = runOn(ctx, tn) })
	}
	wg.Wait()
	for i, tn := range ts {
		other := ts[1-i]
		if tn.err != nil {
			t.Fatalf("%s: %v", tn.ns, tn.err)
		}
		for j, out := range tn.outs {
			if out.N != 1000*(i+1)+j {
				t.Fatalf("%s: output %d = %+v, want n=%d", tn.ns, j, out, 1000*(i+1)+j)
			}
		}
		if st := tn.s.Stats(); st.Activations != int64(tn.tasks) || st.ActionPuts != 1 {
			t.Errorf("%s: the platform ran %d activations and stored %d actions, want %d and 1", tn.ns, st.Activations, st.ActionPuts, tn.tasks)
		}
		acts, err := tn.d.c.ListActivations(ctx, ListOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != tn.tasks {
			t.Errorf("%s lists %d activations, want %d", tn.ns, len(acts), tn.tasks)
		}
		for _, a := range acts {
			if a.Name != tn.action || a.Namespace != tn.ns {
				t.Errorf("%s lists activation %s of %s/%s", tn.ns, a.ActivationID, a.Namespace, a.Name)
			}
		}
		if _, err := tn.d.c.GetAction(ctx, other.action); errorCode(err) != driver.NotFound {
			t.Errorf("%s gets the action %s of %s: %v, want not found", tn.ns, other.action, other.ns, err)
		}
	}
	// Credentials belong to their options alone: alpha's host with beta's
	// key is refused.
	o := Options{Config: Config{APIHost: ts[0].s.APIHost(), Auth: ts[1].s.Auth(), Namespace: "alpha"}, Getenv: ts[0].d.opts.Getenv}
	if d, err := Open(ctx, &o); errorCode(err) != driver.PermissionDenied {
		if d != nil {
			d.Close()
		}
		t.Errorf("alpha's host with beta's key: %v, want permission denied", err)
	}
}

// runOn runs tn's job: echo tasks whose inputs name the tenant.
func runOn(ctx context.Context, tn *tenant) ([]selftest.Output, error) {
	b := backend.New("openwhisk", tn.d)
	ex := overcast.NewExecutorFor(b, &overcast.Options{BackoffBase: 20 * time.Millisecond, BackoffMax: time.Second})
	base := map[string]int{"alpha": 1000, "beta": 2000}[tn.ns]
	ins := make([]selftest.Input, tn.tasks)
	for i := range ins {
		ins[i].N = base + i
	}
	return overcast.Map[selftest.Input, selftest.Output](ctx, ex, selftest.Echo, ins).Wait(ctx)
}
