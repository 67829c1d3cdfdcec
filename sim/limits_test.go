package sim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestConcurrencyLimit(t *testing.T) {
	s := newServer(t, &Options{Concurrency: 2})
	putAction(t, s, "slow", dummyZip(t), map[string]int{"timeout": 10000})
	for i := 0; i < 2; i++ {
		mustCall(t, s, 202, "POST", "/namespaces/_/actions/slow", echoRequest(t, `{"sleep_ms":10000}`))
	}
	code, b, _ := call(t, s, "POST", "/namespaces/_/actions/slow", echoRequest(t, `{}`))
	want := `"error":"Too many concurrent requests in flight (count: 2, allowed: 2)."`
	if code != http.StatusTooManyRequests || !strings.Contains(string(b), want) {
		t.Errorf("got %d %s, want 429 %s", code, b, want)
	}
	if st := s.Stats(); st.Throttled != 1 || st.Running != 2 || st.Invocations != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestPerMinuteLimit(t *testing.T) {
	s := newServer(t, &Options{PerMinute: 3})
	putAction(t, s, "echo", dummyZip(t), nil)
	for i := 0; i < 3; i++ {
		mustCall(t, s, 200, "POST", "/namespaces/_/actions/echo?blocking=true", echoRequest(t, `{}`))
	}
	code, b, _ := call(t, s, "POST", "/namespaces/_/actions/echo?blocking=true", echoRequest(t, `{}`))
	want := `"error":"Too many requests in the last minute (count: 4, allowed: 3)."`
	if code != http.StatusTooManyRequests || !strings.Contains(string(b), want) {
		t.Errorf("got %d %s, want 429 %s", code, b, want)
	}
}

func TestThrottleWindowSlides(t *testing.T) {
	th := newThrottle(100, 2)
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Second, true}, {2 * time.Second, false}, {60 * time.Second, true}, {60 * time.Second, false}, {61 * time.Second, true}} {
		ok := th.admit(t0.Add(tc.at)) == ""
		if ok {
			th.done()
		}
		if ok != tc.want {
			t.Errorf("step %d at %v: admitted %v, want %v", i, tc.at, ok, tc.want)
		}
	}
}

// faultRun invokes n times without blocking and returns what each invoke
// answered and, once all ended, what each activation's record said.
func faultRun(t *testing.T, seed int64, n int) ([]string, Stats) {
	s := newServer(t, &Options{Seed: seed, Faults: Faults{CrashRate: 0.2, ServerErrorRate: 0.2, StragglerRate: 0.2, LostRate: 0.2, StragglerSlowdown: 1.5}})
	putAction(t, s, "echo", dummyZip(t), nil)
	var ids, outcomes []string
	for i := 0; i < n; i++ {
		code, b, _ := call(t, s, "POST", "/namespaces/_/actions/echo", echoRequest(t, `{}`))
		outcomes = append(outcomes, fmt.Sprint(code))
		if code == 202 {
			ids = append(ids, decode[map[string]string](t, b)["activationId"])
		} else {
			ids = append(ids, "")
		}
	}
	for i := 0; i < 500 && s.Stats().Running > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	for i, id := range ids {
		if id == "" {
			continue
		}
		code, b, _ := call(t, s, "GET", "/namespaces/_/activations/"+id, nil)
		if code == 200 {
			outcomes[i] += " " + decode[activation](t, b).Response.Status
		} else {
			outcomes[i] += fmt.Sprint(" ", code)
		}
	}
	return outcomes, s.Stats()
}

func TestFaultsDeterministic(t *testing.T) {
	const n = 60
	a, sa := faultRun(t, 42, n)
	b, _ := faultRun(t, 42, n)
	c, _ := faultRun(t, 7, n)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if strings.Join(a, ",") == strings.Join(c, ",") {
		t.Errorf("different seeds, same faults: %v", a)
	}
	count := map[string]int{}
	for _, o := range a {
		count[o]++
	}
	if sa.ServerErrors == 0 || sa.Lost == 0 || sa.Crashes == 0 || sa.Stragglers == 0 {
		t.Errorf("some fault never happened: %+v", sa)
	}
	if got := count["503"] + count["500"] + count["502"]; int64(got) != sa.ServerErrors {
		t.Errorf("%d 5xx answers, stats say %d", got, sa.ServerErrors)
	}
	if int64(count["202 404"]) != sa.Lost {
		t.Errorf("%d lost activations, stats say %d", count["202 404"], sa.Lost)
	}
}
