package dashboard

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/overcast-sc/overcast/journal"
)

// Source is where the server finds jobs other than the one its Hub
// follows: the journal, read with care for damaged files by the caller.
type Source interface {
	// List returns the summaries of every job, oldest first.
	List() ([]*journal.Summary, error)
	// Job returns a job's views; an error wrapping journal.ErrNotFound
	// when there is no such job.
	Job(id string) (*Job, error)
}

// Server serves the dashboard: GET / (the job list), GET /jobs/ID (a
// job's page), GET /api/jobs (the list as JSON), and the pages' event
// streams, /events and /jobs/ID/events.
type Server struct {
	src   Source
	hub   *Hub
	token string
	// Interval is how often event streams send while a job runs.
	Interval time.Duration
	mux      *http.ServeMux
}

// NewServer returns a server of the jobs of src, and of hub's job (either
// may be nil). A non-empty token is required of every request, as
// ?token=, an Authorization: Bearer header or the cookie the first
// request with it sets.
func NewServer(src Source, hub *Hub, token string) *Server {
	s := &Server{src: src, hub: hub, token: token, Interval: 500 * time.Millisecond, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.listPage)
	s.mux.HandleFunc("GET /api/jobs", s.apiJobs)
	s.mux.HandleFunc("GET /events", s.listEvents)
	s.mux.HandleFunc("GET /jobs/{id}", s.jobPage)
	s.mux.HandleFunc("GET /jobs/{id}/events", s.jobEvents)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return s
}

const tokenCookie = "overcast_dashboard_token"

// ServeHTTP checks the token and serves the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.token != "" {
		got := r.URL.Query().Get("token")
		if got == "" {
			if c, err := r.Cookie(tokenCookie); err == nil {
				got = c.Value
			}
		}
		if h := r.Header.Get("Authorization"); got == "" && len(h) > 7 && h[:7] == "Bearer " {
			got = h[7:]
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			http.Error(w, "this dashboard needs its token: add ?token=... to the address", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("token") != "" {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:")
	s.mux.ServeHTTP(w, r)
}

// jobs returns every job's summary, the hub's job's as it stands now.
func (s *Server) jobs() ([]*journal.Summary, error) {
	var sums []*journal.Summary
	var err error
	if s.src != nil {
		sums, err = s.src.List()
	}
	if s.hub == nil {
		return sums, err
	}
	live := s.hub.Summary()
	for i, sum := range sums {
		if sum.ID == live.ID {
			sums[i] = live
			return sums, err
		}
	}
	return append(sums, live), err
}

// job returns job id's views.
func (s *Server) job(id string) (*Job, error) {
	if s.hub != nil && id == s.hub.ID() {
		return s.hub.Snapshot(), nil
	}
	if s.src == nil {
		return nil, fmt.Errorf("%w: %s", journal.ErrNotFound, id)
	}
	return s.src.Job(id)
}

func (s *Server) listPage(w http.ResponseWriter, _ *http.Request) {
	sums, err := s.jobs()
	if err != nil && sums == nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	writeListPage(w, sums)
}

// jobJSON is one job of GET /api/jobs.
type jobJSON struct {
	ID          string    `json:"job_id"`
	Workload    string    `json:"workload"`
	Backend     string    `json:"backend"`
	State       string    `json:"state"`
	Tasks       int       `json:"tasks"`
	DoneTasks   int       `json:"done_tasks"`
	FailedTasks int       `json:"failed_tasks"`
	Started     time.Time `json:"started"`
}

func (s *Server) apiJobs(w http.ResponseWriter, _ *http.Request) {
	sums, err := s.jobs()
	if err != nil && sums == nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := make([]jobJSON, 0, len(sums))
	for _, j := range sums {
		out = append(out, jobJSON{ID: j.ID, Workload: j.Workload, Backend: j.Backend, State: string(j.State),
			Tasks: j.Tasks, DoneTasks: j.DoneTasks, FailedTasks: j.FailedTasks, Started: j.Started})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) jobPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.job(id)
	if err != nil {
		jobError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	events := ""
	if d.Live() {
		events = "/jobs/" + id + "/events"
	}
	writeJobPage(w, d, events)
}

func jobError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, journal.ErrNotFound) {
		code = http.StatusNotFound
	}
	http.Error(w, err.Error(), code)
}

// sse starts an event stream.
func sse(w http.ResponseWriter) (func(event string, v any) error, bool) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	return func(event string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return err
		}
		fl.Flush()
		return nil
	}, true
}

// jobUpdate is one event of a job's stream.
type jobUpdate struct {
	State       string `json:"state"`
	Tasks       int    `json:"tasks"`
	DoneTasks   int    `json:"done_tasks"`
	FailedTasks int    `json:"failed_tasks"`
	HTML        string `json:"html"`
}

// jobEvents streams a job's views while it runs, and once more when it
// has ended.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := s.job(id)
	if err != nil {
		jobError(w, err)
		return
	}
	send, ok := sse(w)
	if !ok {
		return
	}
	ctx := r.Context()
	for {
		html, err := viewsHTML(d)
		if err != nil {
			return
		}
		if send("job", &jobUpdate{State: d.State, Tasks: d.Tasks, DoneTasks: d.Done, FailedTasks: d.Failed, HTML: html}) != nil || !d.Live() {
			return
		}
		if !s.pause(ctx, id) {
			return
		}
		if d, err = s.job(id); err != nil {
			return // the job's journal went away: the page keeps what it has
		}
	}
}

// pause waits for the next update of job id: the interval, and a change
// of the hub's job when it is the one.
func (s *Server) pause(ctx context.Context, id string) bool {
	var changed, ended <-chan struct{}
	if s.hub != nil && id == s.hub.ID() {
		changed, ended = s.hub.wait(), s.hub.ended
	}
	t := time.NewTimer(s.Interval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-ended:
		return true
	case <-t.C:
	}
	if changed == nil {
		return true
	}
	select { // nothing changed: wait for a change, sampling the flow meanwhile
	case <-changed:
	case <-ctx.Done():
		return false
	case <-time.After(time.Second):
	}
	return true
}

// listEvents streams the job list.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	send, ok := sse(w)
	if !ok {
		return
	}
	ctx := r.Context()
	last := ""
	for {
		sums, _ := s.jobs()
		html, err := listHTML(sums)
		if err != nil {
			return
		}
		if html != last {
			if send("jobs", map[string]string{"html": html}) != nil {
				return
			}
			last = html
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// CheckAddr refuses to serve a non-loopback address without a token.
func CheckAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	if token != "" || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("dashboard address %s is not a loopback address: set a token with --dashboard-token or OVERCAST_DASHBOARD_TOKEN", addr)
}

// Sampler samples the hub's flow control once a second until ctx ends.
func (h *Hub) Sampler(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Sample()
		}
	}
}
