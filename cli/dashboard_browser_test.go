package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/sim"
)

// browser starts headless Chromium (a peer: missing, the test skips, or
// fails under REQUIRE_PEERS) and returns its context and a function that
// returns the console errors and uncaught exceptions of its page so far.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testpeer.Skip(t, "no chromium to run the dashboard in (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Headless, chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1300, 1150))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	var mu sync.Mutex
	var errs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errs = append(errs, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// jsText returns what a JavaScript expression gives, as text.
func jsText(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("String("+expr+")"))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// byID is the text of the element with id, or "" when there is none.
func byID(id string) string {
	return `(document.getElementById("` + id + `") || {textContent: ""}).textContent`
}

func jsInt(t *testing.T, ctx context.Context, expr string) int {
	t.Helper()
	n, _ := strconv.Atoi(strings.TrimSpace(jsText(t, ctx, expr)))
	return n
}

// screenshot saves the page's viewport as PNG in $OVERCAST_DASHBOARD_SHOTS
// (the README's pictures), when it is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	shoot(t, ctx, name, chromedp.CaptureScreenshot())
}

// shoot saves the PNG an action takes in $OVERCAST_DASHBOARD_SHOTS, when
// it is set.
func shoot(t *testing.T, ctx context.Context, name string, take chromedp.Action[[]byte]) {
	dir := os.Getenv("OVERCAST_DASHBOARD_SHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, take)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardInBrowser runs a job on the sim with --dashboard, whose
// activations crash now and then, and watches its page in Chromium: it
// loads with no console error, its done count rises while the job runs,
// and it shows the failed tasks when the job ends. Then the job list of
// jobs serve, and the job's report, opened offline from its file.
func TestDashboardInBrowser(t *testing.T) {
	ctx, consoleErrors := browser(t)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tasks, concurrency := 600, 8
	if os.Getenv("OVERCAST_DASHBOARD_SHOTS") != "" {
		tasks, concurrency = 10000, 200 // the README's job
	}
	env, _ := homeEnv(t)
	env = append(env, dashboardSim(t, 0.15)...)
	u, run, out := background(t, env, true, "run", "pi", "--backend", "openwhisk", "--tasks", strconv.Itoa(tasks),
		"--samples", strconv.Itoa(tasks*20000), "--concurrency", strconv.Itoa(concurrency), "--max-attempts", "2", "--dashboard", "127.0.0.1:0", "--json")
	id := u[strings.LastIndex(u, "/")+1:]
	if _, err := chromedp.Run(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}

	// The done count rises while the job runs.
	var seen []int
	for i := 0; i < 1200 && len(seen) < 3; i++ {
		state, done := jsText(t, ctx, byID("state")), jsInt(t, ctx, byID("done"))
		if state != "running" && state != "" {
			break
		}
		if done > 0 && (len(seen) == 0 || done > seen[len(seen)-1]) {
			seen = append(seen, done)
			if len(seen) == 2 {
				screenshot(t, ctx, "dashboard-live.png")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(seen) < 2 {
		t.Fatalf("the page saw the done count %v while the job ran; want it to rise", seen)
	}

	// The job ends failed: some tasks crashed, and the page says so.
	state := ""
	for i := 0; i < 3000 && (state == "" || state == "running"); i++ {
		time.Sleep(100 * time.Millisecond)
		state = jsText(t, ctx, byID("state"))
	}
	failed := jsInt(t, ctx, byID("failed"))
	if state != "failed" || failed == 0 || jsInt(t, ctx, byID("done"))+failed != tasks {
		t.Fatalf("page at the end: state %q, done %s, failed %d of %d", state, jsText(t, ctx, byID("done")), failed, tasks)
	}
	if n := jsInt(t, ctx, `document.querySelectorAll('svg[aria-label="task stream"] rect.s-fail').length`); n == 0 {
		t.Error("the task stream shows no failed task")
	}
	if txt := jsText(t, ctx, `document.querySelector('svg[aria-label="retries and errors by kind"]').textContent`); !strings.Contains(txt, "failed") {
		t.Errorf("errors by kind: %q, want the failures", txt)
	}
	run.Wait()
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the live page: %q", errs)
	}
	if r := decode[result](t, out.String(), "run --json"); r.FailedTasks != failed {
		t.Errorf("the live page showed %d failed tasks, the run %d", failed, r.FailedTasks)
	}
	// Pages drawn from the journal show what it holds.
	failed = 0
	for _, s := range listJobs(t, env) {
		if s.ID == id {
			failed = s.FailedTasks
		}
	}
	if failed == 0 {
		t.Fatalf("the journal holds no failed task of job %s", id)
	}

	// jobs serve lists it; its page shows it from the journal.
	su, _, _ := background(t, env, false, "jobs", "serve", "--addr", "127.0.0.1:0")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(su)); err != nil {
		t.Fatal(err)
	}
	row := `document.querySelector('tr[data-job="` + id + `"]')`
	if got := jsText(t, ctx, row+`.querySelector(".state").textContent`); got != "failed" {
		t.Errorf("job list: state %q, want failed", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate(su+"jobs/"+id)); err != nil {
		t.Fatal(err)
	}
	if got := jsInt(t, ctx, byID("failed")); got != failed {
		t.Errorf("jobs serve's page of the job: %d failed, want %d", got, failed)
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on jobs serve's pages: %q", errs)
	}

	// The report renders from its file with the network off.
	file := filepath.Join(t.TempDir(), "report.html")
	if _, stderr, code := binIn(t, env, "jobs", "report", id, "--output", file); code != 0 {
		t.Fatalf("jobs report: exit %d: %s", code, stderr)
	}
	offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true}}}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	if got := jsInt(t, ctx, byID("failed")); got != failed {
		t.Errorf("report: %d failed, want %d", got, failed)
	}
	if n := jsInt(t, ctx, `document.querySelectorAll('svg[aria-label="task stream"] rect.s-run').length`); n == 0 {
		t.Error("the report's task stream is empty")
	}
	// Its styles apply: a running stretch is drawn blue.
	if fill := jsText(t, ctx, `getComputedStyle(document.querySelector("rect.s-run")).fill`); fill != "rgb(40, 110, 200)" {
		t.Errorf("report: running stretches are filled %q, want the stylesheet's blue", fill)
	}
	screenshot(t, ctx, "dashboard-report.png")
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the report: %q", errs)
	}
}

// TestDashboardShowsStorageIO runs a word count with --dashboard on a sim
// that throttles it (another job shares the namespace's limit, as a rule),
// and watches the
// storage I/O its tasks report: the live page shows bytes while the job
// runs, and the pages drawn from the journal (jobs serve, and the report
// offline) show each task's bytes in its row's tooltip, the totals and
// their chart, and the adaptive window as it moved.
func TestDashboardShowsStorageIO(t *testing.T) {
	ctx, consoleErrors := browser(t)
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := t.TempDir()
	genText(t, dir, 300_000)
	s, err := sim.New(&sim.Options{Addr: "127.0.0.1:0", Mode: sim.ModeInproc, Concurrency: 6,
		APILatency: 20 * time.Millisecond, ColdStart: 100 * time.Millisecond, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	props := filepath.Join(dir, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+s.APIHost()+"\nAUTH="+s.Auth()+"\nNAMESPACE="+s.Namespace()+"\n"), 0o600)
	env, _ := homeEnv(t)
	env = append(env, "WSK_CONFIG_FILE="+props)
	// Another job takes the namespace's whole limit meanwhile, so that both
	// are throttled and the word count's window moves.
	nu, _, _ := background(t, env, true, "run", "pi", "--backend", "openwhisk", "--tasks", "50000", "--samples", "5e7",
		"--dashboard", "127.0.0.1:0")
	busy := false
	for i := 0; i < 600 && !busy; i++ {
		_, jobs := getJobs(t, nu[:strings.Index(nu, "/jobs/")], "")
		for _, j := range jobs {
			busy = busy || j.DoneTasks > 100
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !busy {
		t.Fatal("the neighbour job finished no task")
	}
	u, run, out := background(t, env, true, "run", "wordcount", "--backend", "openwhisk", "--input", "file://"+dir+"/in/",
		"--output", "file://"+dir+"/out/", "--chunk-size", "3e3", "--reducers", "2", "--concurrency", "24",
		"--dashboard", "127.0.0.1:0", "--json")
	id := u[strings.LastIndex(u, "/")+1:]
	if _, err := chromedp.Run(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	// While the job runs, the I/O panel fills in.
	live := ""
	for i := 0; i < 1200; i++ {
		if state := jsText(t, ctx, byID("state")); state != "running" && state != "" {
			break
		}
		if txt := jsText(t, ctx, byID("io-totals")); strings.Contains(txt, " read, ") && !strings.HasPrefix(txt, "no task") {
			live = txt
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if live == "" {
		t.Fatalf("the live page showed no storage bytes while the job ran: %q", jsText(t, ctx, byID("io-totals")))
	}
	if n := jsInt(t, ctx, `document.querySelectorAll('svg[aria-label="tasks in flight"] polyline.window').length`); n != 1 {
		t.Errorf("the live page draws %d window lines, want 1", n)
	}
	run.Wait()
	r := decode[struct {
		Complete     bool
		Throttled    int
		ReadBytes    int64 `json:"read_bytes"`
		WrittenBytes int64 `json:"written_bytes"`
	}](t, out.String(), "run --json")
	if !r.Complete || r.ReadBytes == 0 || r.WrittenBytes == 0 {
		t.Fatalf("run: complete %v, %d read, %d written; want bytes both ways", r.Complete, r.ReadBytes, r.WrittenBytes)
	}

	// Pages drawn from the journal: jobs serve's, and the report offline.
	su, _, _ := background(t, env, false, "jobs", "serve", "--addr", "127.0.0.1:0")
	file := filepath.Join(t.TempDir(), "report.html")
	if _, stderr, code := binIn(t, env, "jobs", "report", id, "--output", file); code != 0 {
		t.Fatalf("jobs report: exit %d: %s", code, stderr)
	}
	var totals []string
	for k, page := range []string{su + "jobs/" + id, "file://" + file} {
		if k == 1 {
			offline := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{Offline: true}}}
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, offline); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := chromedp.Run(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatal(err)
		}
		txt := jsText(t, ctx, byID("io-totals"))
		totals = append(totals, txt)
		if !strings.Contains(txt, " read, ") || !strings.Contains(txt, "/s read") {
			t.Errorf("%s: I/O totals %q", page, txt)
		}
		if n := jsInt(t, ctx, `document.querySelectorAll('svg[aria-label="storage bytes read and written per second"] polyline.io-read').length`); n != 1 {
			t.Errorf("%s: %d read lines in the I/O chart, want 1", page, n)
		}
		tip := jsText(t, ctx, `Array.from(document.querySelectorAll('svg[aria-label="task stream"] rect.hit title')).map(e => e.textContent).join("\n")`)
		if !strings.Contains(tip, "wordcount/map") || !strings.Contains(tip, " read, ") {
			t.Errorf("%s: task stream tooltips %q, want the tasks' bytes", page, tip)
		}
		inflight := `document.querySelector('svg[aria-label="tasks in flight"]')`
		if n := jsInt(t, ctx, inflight+`.querySelectorAll("polyline.window").length`); n != 1 {
			t.Errorf("%s: %d window lines, want the journaled window", page, n)
		}
		// Most runs meet throttles, and the window moves; the neighbour's
		// backoff may leave room enough for none.
		pts := jsText(t, ctx, inflight+`.querySelector("polyline.window").getAttribute("points")`)
		t.Logf("%s: %d throttles, window line %s", page, r.Throttled, pts)
		if r.Throttled > 0 && len(strings.Fields(pts)) < 4 {
			t.Errorf("%s: the window line %q does not move; the job was throttled %d times", page, pts, r.Throttled)
		}
	}
	shoot(t, ctx, "dashboard-io.png", chromedp.FullScreenshot(100)) // the report, whole
	if totals[0] != totals[1] {
		t.Errorf("jobs serve says %q, the report %q", totals[0], totals[1])
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
