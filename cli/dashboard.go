package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/dashboard"
	"github.com/overcast-sc/overcast/journal"
)

// dashboardTokenEnv holds the token a dashboard on a non-loopback address
// requires, when --dashboard-token is not given.
const dashboardTokenEnv = "OVERCAST_DASHBOARD_TOKEN"

// journalSource is the dashboard's view of the journal: jobs read as
// jobs list and jobs plot read them.
type journalSource struct{ st *journal.Store }

func (s journalSource) List() ([]*journal.Summary, error) {
	sums, errs := readableJobs(s.st)
	return sums, errors.Join(errs...)
}

func (s journalSource) Job(id string) (*dashboard.Job, error) {
	if err := journal.ValidID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", journal.ErrNotFound, err)
	}
	j, err := readSettled(s.st, id, func() (*journal.Job, error) { return s.st.Read(id) })
	if err != nil {
		return nil, err
	}
	return dashboard.FromJournal(j), nil
}

// dashboardToken returns the token given by flag or environment.
func dashboardToken(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(dashboardTokenEnv)
}

// serveDashboard listens on addr and serves the dashboard of src and hub
// until the returned function is called. It returns the dashboard's URL.
func serveDashboard(addr, token string, src dashboard.Source, hub *dashboard.Hub) (string, func(), error) {
	if err := dashboard.CheckAddr(addr, token); err != nil {
		return "", nil, usagef("%v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("dashboard: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{Handler: dashboard.NewServer(src, hub, token), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	go srv.Serve(ln)
	u := &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/"}
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	stop := func() {
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		defer scancel()
		srv.Shutdown(sctx) // streams of ended jobs end on their own
		cancel()
		srv.Close()
	}
	return u.String(), stop, nil
}

// liveDashboard is the dashboard of a run (run --dashboard).
type liveDashboard struct {
	hub    *dashboard.Hub
	stop   func()
	cancel context.CancelFunc
}

// startDashboard serves the dashboard of the run opts describe when
// --dashboard is given (nil otherwise): it follows the run's journal and
// events.
func (a *app) startDashboard(rf *runFlags, workload string, opts *overcast.Options) (*liveDashboard, error) {
	if rf.dashboard == "" {
		return nil, nil
	}
	hub := dashboard.NewHub(opts.JobID, workload, rf.backend)
	var src dashboard.Source
	if root, err := a.jobsRoot(""); err == nil {
		src = journalSource{journal.New(root)}
	}
	u, stop, err := serveDashboard(rf.dashboard, dashboardToken(rf.dashboardToken), src, hub)
	if err != nil {
		return nil, fmt.Errorf("--dashboard: %w", err)
	}
	opts.Journal = hub.Journal(opts.Journal)
	opts.Reporter = reporters{opts.Reporter, hub}
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Sampler(ctx)
	page, _ := url.Parse(u)
	page.Path = "/jobs/" + url.PathEscape(opts.JobID)
	a.printf("dashboard of job %s at %s", opts.JobID, page)
	return &liveDashboard{hub: hub, stop: stop, cancel: cancel}, nil
}

// attach gives the dashboard the backend's flow control to sample.
func (d *liveDashboard) attach(ex *overcast.Executor) {
	if d != nil {
		d.hub.SetFlow(ex.Backend().Flow)
	}
}

// end records the run's outcome, given as its JSON result.
func (d *liveDashboard) end(result any) {
	if d == nil {
		return
	}
	state := journal.Failed
	if data, err := json.Marshal(result); err == nil {
		if s, err := resultState(data); err == nil {
			state = s
		}
	}
	d.hub.End(state)
}

// close stops serving; a run that ended without an outcome reads as
// failed.
func (d *liveDashboard) close() {
	if d == nil {
		return
	}
	if d.hub.Summary().State == journal.Running {
		d.hub.End(journal.Failed)
	}
	d.cancel()
	d.stop()
}
