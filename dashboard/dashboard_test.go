package dashboard

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/journal"
)

// record returns a finished task's record: invoked at a, ran from b to c
// (seconds after t0), answered at c.
func record(t0 time.Time, a, b, c float64) *overcast.TaskRecord {
	at := func(s float64) int64 { return t0.Add(time.Duration(s * float64(time.Second))).UnixNano() }
	return &overcast.TaskRecord{State: overcast.Done, Invoked: at(a), Start: at(b), End: at(c), Returned: at(c), Attempts: 1}
}

// sampleJob is a job of four tasks: a cold one, a retried one, a failed
// one and a plain one.
func sampleJob() *Job {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := overcast.NewRecords(4)
	cold := record(t0, 0, 1, 2)
	cold.Cold, cold.Init = true, 800*time.Millisecond
	recs.Set(0, cold)
	retried := record(t0, 0, 0.1, 3)
	retried.Attempts = 2
	recs.Set(1, retried)
	failed := record(t0, 2, 2.1, 2.5)
	failed.State = overcast.TaskFailedState
	recs.Set(2, failed)
	recs.Set(3, record(t0, 3, 3.1, 4))
	r := &overcast.Report{Job: "j1", Task: "t", Tasks: 4, Concurrency: 2, Start: t0, End: t0.Add(4 * time.Second), Records: recs}
	return &Job{ID: "j1", Workload: "pi", Backend: "local", State: "failed", Tasks: 4, Done: 3, Failed: 1,
		Started: t0, Now: t0.Add(4 * time.Second), Maps: []*overcast.Report{r}, Errors: map[string]int{"crashed": 1, "retried": 1}}
}

func TestReportDrawsEveryPhase(t *testing.T) {
	var b strings.Builder
	if err := WriteReport(&b, sampleJob()); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	stream := doc[strings.Index(doc, `aria-label="task stream"`):]
	stream = stream[:strings.Index(stream, "</svg>")]
	for _, class := range []string{"s-wait", "s-cold", "s-run", "s-retry", "s-fail"} {
		if !strings.Contains(stream, `class="`+class+`"`) {
			t.Errorf("the task stream has no %s stretch", class)
		}
	}
	if strings.Contains(stream, `class="s-live"`) || strings.Contains(stream, `class="s-backup"`) {
		t.Error("the task stream shows tasks in flight or backups the job did not have")
	}
	for _, want := range []string{"4 tasks", "concurrency 2", "crashed: 1", "cold: 1", "warm: 2", `<b id="failed">1</b>`} {
		if !strings.Contains(doc, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(doc, "<script") {
		t.Error("the report has a script")
	}
}

func TestDashboardLanesNeverOverlap(t *testing.T) {
	var bs []bar
	for i := range 1000 { // 1,000 tasks of 1.25 s, 10 started every 0.125 s: 100 at once
		s := float64(i/10) * 0.125
		bs = append(bs, bar{invoked: s, end: s + 1.25})
	}
	lane, n := lanes(bs)
	if n != 100 {
		t.Errorf("%d lanes, want 100 (the most tasks at once)", n)
	}
	last := map[int]float64{}
	for i, b := range bs {
		if end, ok := last[lane[i]]; ok && end > b.invoked {
			t.Fatalf("task %d starts at %v in lane %d, busy until %v", i, b.invoked, lane[i], end)
		}
		last[lane[i]] = b.end
	}
	d := &Job{Maps: nil, State: "done"}
	if svg := d.taskStream(); !strings.Contains(svg, "no task has started yet") {
		t.Errorf("empty job's task stream: %s", svg)
	}
}

func TestServeCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{{"127.0.0.1:8787", "", true}, {"[::1]:0", "", true}, {"localhost:1", "", true},
		{"0.0.0.0:8787", "", false}, {":8787", "", false}, {"10.0.0.1:80", "", false},
		{"0.0.0.0:8787", "tok", true}, {"nonsense", "", false}} {
		if err := CheckAddr(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("CheckAddr(%q, %q) = %v", c.addr, c.token, err)
		}
	}
}

// sseEvents reads a stream's events, one data line each.
func sseEvents(t *testing.T, url string) <-chan jobUpdate {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan jobUpdate, 100)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var u jobUpdate
				if json.Unmarshal([]byte(d), &u) == nil {
					ch <- u
				}
			}
		}
	}()
	return ch
}

func TestServeHubLiveThroughTheJournal(t *testing.T) {
	st := journal.New(t.TempDir())
	rec, err := st.Record(journal.Spec{ID: "live1", Workload: "pi", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHub("live1", "pi", "local")
	h.SetFlow(func() backend.Flow { return backend.Flow{Window: 3, MaxWindow: 5} })
	jl, err := h.Journal(rec).Job("live1", 0, "pi/sample", 3)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(nil, h, ""))
	defer srv.Close()
	events := sseEvents(t, srv.URL+"/jobs/live1/events")
	next := func() jobUpdate {
		select {
		case u, ok := <-events:
			if !ok {
				t.Fatal("the event stream ended early")
			}
			return u
		case <-time.After(30 * time.Second):
			t.Fatal("no event in 30 s")
		}
		return jobUpdate{}
	}
	if u := next(); u.State != "running" || u.Tasks != 3 || u.DoneTasks != 0 {
		t.Fatalf("first event: %+v", u)
	}
	now := time.Now()
	h.Report(overcast.Event{Kind: overcast.Started, Task: "pi/sample", Index: 0, Time: now})
	h.Sample()
	jl.Attempted(0, 1, "", nil)
	jl.Finished(0, record(now, 0, 0.1, 0.2), []byte(`1`))
	for u := next(); u.DoneTasks < 1; u = next() {
	}
	jl.Finished(1, record(now, 0, 0.1, 0.3), []byte(`2`))
	jl.Failed(2, &overcast.TaskRecord{State: overcast.TaskFailedState, Invoked: now.UnixNano(), Returned: now.UnixNano() + 1e6},
		&overcast.TaskFailure{Index: 2, Attempts: 1, Err: errors.New("boom")})
	if err := jl.Close(&overcast.Report{Job: "live1", Task: "pi/sample", Tasks: 3, Start: now, End: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.End(journal.Failed)
	var last jobUpdate
	for u := range events {
		last = u
	}
	if last.State != "failed" || last.DoneTasks != 2 || last.FailedTasks != 1 || !strings.Contains(last.HTML, "adaptive window") {
		t.Errorf("last event: %+v", last)
	}

	// The journal under the hub got every record.
	if err := rec.End(journal.Failed, nil); err != nil {
		t.Fatal(err)
	}
	sum, err := st.Summary("live1")
	if err != nil || sum.DoneTasks != 2 || sum.FailedTasks != 1 {
		t.Errorf("journal under the hub: %+v, %v", sum, err)
	}

	resp, err := http.Get(srv.URL + "/api/jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jobs []map[string]any
	json.NewDecoder(resp.Body).Decode(&jobs)
	if len(jobs) != 1 || jobs[0]["job_id"] != "live1" || jobs[0]["state"] != "failed" || jobs[0]["tasks"] != 3.0 || jobs[0]["done_tasks"] != 2.0 {
		t.Errorf("/api/jobs: %v", jobs)
	}
}

func TestServeTokenRequired(t *testing.T) {
	srv := httptest.NewServer(NewServer(nil, NewHub("j", "pi", "local"), "tok"))
	defer srv.Close()
	for _, c := range []struct {
		path, auth string
		code       int
	}{{"/api/jobs", "", 401}, {"/api/jobs?token=bad", "", 401}, {"/api/jobs?token=tok", "", 200}, {"/", "Bearer tok", 200}, {"/jobs/j", "Bearer nope", 401}} {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("GET %s (%q): %d, want %d", c.path, c.auth, resp.StatusCode, c.code)
		}
	}
}

func TestServeHubCountsEachTaskOnce(t *testing.T) {
	h := NewHub("j", "pi", "local")
	jl, err := h.Journal(nil).Job("j", 0, "t", 2)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	fail := &overcast.TaskFailure{Index: 0, Err: errors.New("boom")}
	jl.Failed(0, &overcast.TaskRecord{Invoked: now.UnixNano(), Returned: now.UnixNano()}, fail)
	jl.Failed(0, &overcast.TaskRecord{Invoked: now.UnixNano(), Returned: now.UnixNano()}, fail) // a second copy fails too
	if s := h.Summary(); s.FailedTasks != 1 || s.DoneTasks != 0 {
		t.Fatalf("after two failures of one task: %+v", s)
	}
	jl.Finished(0, record(now, 0, 0.1, 0.2), nil) // a copy answers after all
	jl.Finished(0, record(now, 0, 0.1, 0.2), nil)
	jl.Finished(1, record(now, 0, 0.1, 0.2), nil)
	if s := h.Summary(); s.FailedTasks != 0 || s.DoneTasks != 2 {
		t.Fatalf("after the task finished: %+v", s)
	}
	if d := h.Snapshot(); d.Errors["failed: "+overcast.TaskFailure{}.Code.String()] != 1 {
		t.Errorf("errors by kind: %v, want the one failure", d.Errors)
	}
}

// BenchmarkReport10kTasks draws the views of a 10,000-task job, 200 at a
// time, and reports the page's size.
func BenchmarkReport10kTasks(b *testing.B) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const n = 10000
	recs := overcast.NewRecords(n)
	for i := range n {
		s := float64(i/200) * 0.05
		r := record(t0, s, s+0.01, s+0.05+float64(i%7)*0.01)
		r.Cold = i < 200
		r.Attempts = int32(1 + i%13/12)
		recs.Set(i, r)
	}
	rep := &overcast.Report{Job: "big", Task: "t", Tasks: n, Concurrency: 200, Start: t0, End: t0.Add(3 * time.Second), Records: recs}
	d := &Job{ID: "big", State: "done", Tasks: n, Done: n, Started: t0, Now: rep.End, Maps: []*overcast.Report{rep}, Errors: map[string]int{}}
	var size int
	for b.Loop() {
		var sb strings.Builder
		if err := WriteReport(&sb, d); err != nil {
			b.Fatal(err)
		}
		size = sb.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// storeSource reads jobs straight from a journal store.
type storeSource struct{ st *journal.Store }

func (s storeSource) List() ([]*journal.Summary, error) { return s.st.List() }

func (s storeSource) Job(id string) (*Job, error) {
	j, err := s.st.Read(id)
	if err != nil {
		return nil, err
	}
	return FromJournal(j), nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b.String()
}

func TestServeJobOfAnotherDriver(t *testing.T) {
	st := journal.New(t.TempDir())
	rec, err := st.Record(journal.Spec{ID: "other", Workload: "pi", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	jl, err := rec.Job("other", 0, "pi/sample", 3)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	jl.Attempted(0, 1, "", nil)
	jl.Finished(0, record(now, 0, 0.1, 0.2), []byte(`1`))
	srv := httptest.NewServer(NewServer(storeSource{st}, nil, ""))
	defer srv.Close()
	page := ""
	for i := 0; i < 100 && !strings.Contains(page, `<b id="done">1</b>`); i++ { // the driver writes its status every 100 ms
		time.Sleep(50 * time.Millisecond)
		_, page = get(t, srv.URL+"/jobs/other")
	}
	if !strings.Contains(page, `<b id="done">1</b>`) || !strings.Contains(page, "another overcast process runs this job") ||
		!strings.Contains(page, `data-events="/jobs/other/events"`) {
		t.Fatalf("page of a job another driver runs:\n%s", page)
	}
	jl.Finished(1, record(now, 0, 0.1, 0.3), []byte(`2`))
	jl.Finished(2, record(now, 0.1, 0.2, 0.4), []byte(`3`))
	if err := jl.Close(&overcast.Report{Job: "other", Task: "pi/sample", Tasks: 3, Concurrency: 2, Start: now, End: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := rec.End(journal.Done, nil); err != nil {
		t.Fatal(err)
	}
	code, page := get(t, srv.URL+"/jobs/other")
	if code != 200 || !strings.Contains(page, `<b id="done">3</b>`) || strings.Contains(page, "another overcast process") ||
		!strings.Contains(page, `class="s-run"`) || strings.Contains(page, `data-events="`) {
		t.Errorf("page of the ended job: %d\n%s", code, page)
	}
	if code, _ := get(t, srv.URL+"/jobs/nosuch"); code != 404 {
		t.Errorf("page of no job: %d, want 404", code)
	}
	code, page = get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(page, `<tr data-job="other">`) || !strings.Contains(page, `href="/jobs/other"`) {
		t.Errorf("job list: %d\n%s", code, page)
	}
}
