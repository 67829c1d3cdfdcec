package openwhisk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/worker"
)

const fakeAuth = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:secretKEYxyz123"

// fakeOW is a small in-memory OpenWhisk that runs actions with
// worker.Handle, for tests of the driver's protocol handling.
type fakeOW struct {
	srv *httptest.Server

	mu      sync.Mutex
	actions map[string]json.RawMessage
	recs    map[string]*Activation
	order   []*Activation
	n       int
	limits  string
	// info, when set, is the answer to GET / (a controller's info document).
	info string
	// invoke, when set, answers invocations instead of running them.
	invoke func(w http.ResponseWriter, r *http.Request) bool
	// gets and lists count by-id and list requests.
	gets, lists int

	// stop ends the activations still running when the test ends, as a
	// platform's own time limit would, and tasks waits for them.
	stop  context.Context
	tasks sync.WaitGroup
}

func newFake(t *testing.T) *fakeOW {
	f := &fakeOW{actions: map[string]json.RawMessage{}, recs: map[string]*Activation{}, limits: `{"concurrentInvocations":50}`}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	stop, cancel := context.WithCancel(context.Background())
	f.stop = stop
	t.Cleanup(func() { cancel(); f.tasks.Wait() })
	return f
}

// open opens a driver on the fake with a Getenv that knows only the fake.
func (f *fakeOW) open(t *testing.T, o Options) (*Driver, error) {
	env := map[string]string{"WHISK_APIHOST": f.srv.URL, "WHISK_AUTH": fakeAuth, "HOME": t.TempDir()}
	o.Getenv = func(k string) string { return env[k] }
	return Open(context.Background(), &o)
}

func (f *fakeOW) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && r.Method == "GET" && f.info != "" {
		writeJSON(w, 200, f.info)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u+":"+p != fakeAuth {
		writeJSON(w, 401, `{"error":"The supplied authentication is invalid","code":"x1"}`)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/")
	ns, rest, _ := strings.Cut(path, "/")
	_ = ns
	switch {
	case rest == "limits":
		writeJSON(w, 200, f.limits)
	case strings.HasPrefix(rest, "actions/"):
		f.action(w, r, strings.TrimPrefix(rest, "actions/"))
	case rest == "activations":
		f.list(w, r)
	case strings.HasPrefix(rest, "activations/"):
		f.mu.Lock()
		f.gets++
		rec := f.recs[strings.TrimPrefix(rest, "activations/")]
		f.mu.Unlock()
		if rec == nil {
			writeJSON(w, 404, `{"error":"The requested resource does not exist.","code":"x2"}`)
			return
		}
		b, _ := json.Marshal(rec)
		writeJSON(w, 200, string(b))
	default:
		writeJSON(w, 404, `{"error":"no route"}`)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeOW) action(w http.ResponseWriter, r *http.Request, name string) {
	f.mu.Lock()
	a, ok := f.actions[name]
	f.mu.Unlock()
	switch r.Method {
	case "PUT":
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.actions[name] = b
		f.mu.Unlock()
		writeJSON(w, 200, string(b))
	case "GET", "DELETE":
		if !ok {
			writeJSON(w, 404, `{"error":"The requested resource does not exist."}`)
			return
		}
		if r.Method == "DELETE" {
			f.mu.Lock()
			delete(f.actions, name)
			f.mu.Unlock()
		}
		writeJSON(w, 200, string(a))
	case "POST":
		if f.invoke != nil && f.invoke(w, r) {
			return
		}
		if !ok {
			writeJSON(w, 404, `{"error":"The requested resource does not exist."}`)
			return
		}
		params, _ := io.ReadAll(r.Body)
		f.run(w, r, name, params, r.URL.Query().Get("blocking") == "true")
	}
}

func (f *fakeOW) run(w http.ResponseWriter, r *http.Request, name string, params []byte, blocking bool) {
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("%032x", f.n)
	f.mu.Unlock()
	done := make(chan *Activation, 1)
	f.tasks.Add(1)
	go func() {
		defer f.tasks.Done()
		start := time.Now()
		result := worker.Handle(f.stop, params)
		rec := &Activation{ActivationID: id, Name: name, Start: start.UnixMilli(), End: time.Now().UnixMilli(),
			Duration: time.Since(start).Milliseconds(),
			Annotations: []KeyValue{{Key: "waitTime", Value: json.RawMessage("7")}, {Key: "initTime", Value: json.RawMessage("3")},
				{Key: "limits", Value: json.RawMessage(`{"memory":512,"timeout":60000}`)}}}
		rec.Response = &struct {
			Status  string          `json:"status"`
			Success bool            `json:"success"`
			Result  json.RawMessage `json:"result,omitempty"`
		}{Status: "success", Success: true, Result: result}
		if strings.Contains(string(result), `"error":`) {
			rec.Response.Status, rec.Response.Success = "application error", false
		}
		f.mu.Lock()
		f.recs[id] = rec
		f.order = append(f.order, rec)
		f.mu.Unlock()
		done <- rec
	}()
	w.Header().Set("x-openwhisk-activation-id", id)
	if !blocking {
		writeJSON(w, 202, `{"activationId":"`+id+`"}`)
		return
	}
	var rec *Activation
	select {
	case rec = <-done:
	case <-r.Context().Done():
		return
	}
	b, _ := json.Marshal(rec)
	status := 200
	if !rec.Response.Success {
		status = 502
	}
	writeJSON(w, status, string(b))
}

func (f *fakeOW) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	skip, _ := strconv.Atoi(q.Get("skip"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit == 0 {
		limit = 30
	}
	f.mu.Lock()
	f.lists++
	var sel []*Activation
	for _, a := range f.order {
		if a.Start >= since && (q.Get("name") == "" || a.Name == q.Get("name")) {
			sel = append(sel, a)
		}
	}
	f.mu.Unlock()
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].Start > sel[j].Start })
	sel = sel[min(skip, len(sel)):]
	sel = sel[:min(limit, len(sel))]
	b, _ := json.Marshal(sel)
	writeJSON(w, 200, string(b))
}
