package faasgw

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
)

func newOpenFaaS(t *testing.T, opts OpenFaaSOptions) (*OpenFaaS, string) {
	t.Helper()
	g, err := NewOpenFaaS(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g, faasgwtest.Serve(t, g, g)
}

// callback is one result the gateway posted.
type callback struct {
	header http.Header
	body   string
}

// callbackServer records the results posted to it.
func callbackServer(t *testing.T) (string, chan callback) {
	t.Helper()
	got := make(chan callback, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- callback{r.Header.Clone(), string(b)}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func await(t *testing.T, got chan callback) callback {
	t.Helper()
	select {
	case c := <-got:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10 s")
		return callback{}
	}
}

func asyncPost(t *testing.T, url, body, callbackURL string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if callbackURL != "" {
		req.Header.Set("X-Callback-Url", callbackURL)
	}
	req.Header.Set("Authorization", "Bearer T")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestOpenFaaSSync(t *testing.T) {
	fn := &echo{}
	g, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": Handler{fn}}})
	resp, body := post(t, url+"/function/overcast/invoke", "a")
	if resp.StatusCode != http.StatusOK || body != "/invoke:a" {
		t.Fatalf("sync call: %s %q, want 200 \"/invoke:a\"", resp.Status, body)
	}
	if resp.Header.Get("X-Call-Id") == "" || resp.Header.Get("X-Duration-Seconds") == "" {
		t.Errorf("answer lacks X-Call-Id or X-Duration-Seconds: %v", resp.Header)
	}
	if resp, body := post(t, url+"/function/overcast", "b"); body != "/:b" {
		t.Errorf("call without a path reached %q (%s), want \"/\"", body, resp.Status)
	}
	if resp, _ := post(t, url+"/function/missing/invoke", "c"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("call of a missing function: %s, want 404", resp.Status)
	}
	if s := g.Stats(); s.Sync != 2 {
		t.Errorf("stats %+v, want 2 sync calls", s)
	}
}

func TestOpenFaaSAsyncCallback(t *testing.T) {
	fn := &echo{}
	g, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": Handler{fn}}})
	cbURL, got := callbackServer(t)
	resp := asyncPost(t, url+"/async-function/overcast/invoke", "d", cbURL+"/cb/1")
	id := resp.Header.Get("X-Call-Id")
	if resp.StatusCode != http.StatusAccepted || id == "" {
		t.Fatalf("async call: %s, X-Call-Id %q; want 202 with an id", resp.Status, id)
	}
	c := await(t, got)
	if c.body != "/invoke:d" || c.header.Get("X-Call-Id") != id || c.header.Get("X-Function-Status") != "200" ||
		c.header.Get("X-Duration-Seconds") == "" {
		t.Errorf("callback %q with %v; want the answer, the call's id, status 200 and a duration", c.body, c.header)
	}
	fn.mu.Lock()
	auth := fn.authorizations[0]
	fn.mu.Unlock()
	if auth != "Bearer T" {
		t.Errorf("function got Authorization %q, want the caller's", auth)
	}
	eventually(t, "the callback counted", func() bool { return g.Stats().Callbacks == 1 })
	if s := g.Stats(); s.Async != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestOpenFaaSAsyncUnreachableFunction(t *testing.T) {
	s := stuck{make(chan struct{})}
	close(s.release)
	_, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"broken": s}})
	cbURL, got := callbackServer(t)
	if resp := asyncPost(t, url+"/async-function/broken", "e", cbURL); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("async call: %s, want 202", resp.Status)
	}
	if c := await(t, got); c.header.Get("X-Function-Status") != "503" || c.body != "" {
		t.Errorf("callback of a call that failed: status %q body %q, want 503 and no body", c.header.Get("X-Function-Status"), c.body)
	}
}

func TestOpenFaaSDropCallback(t *testing.T) {
	fn := &echo{}
	drop := map[string]bool{}
	g, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": Handler{fn}},
		DropCallback: func(id string) bool { return drop[id] }})
	cbURL, got := callbackServer(t)
	// The caller names the call: the gateway keeps an X-Call-Id it is given.
	drop["lost"] = true
	for _, id := range []string{"lost", "kept"} {
		req, _ := http.NewRequest(http.MethodPost, url+"/async-function/overcast/invoke", strings.NewReader(id))
		req.Header.Set("X-Callback-Url", cbURL)
		req.Header.Set("X-Call-Id", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// One queue-worker runs calls in order: once "kept" is back, "lost" was lost.
	if c := await(t, got); c.header.Get("X-Call-Id") != "kept" {
		t.Fatalf("callback for %q, want kept", c.header.Get("X-Call-Id"))
	}
	eventually(t, "the callback counted", func() bool { return g.Stats().Callbacks == 1 })
	if s := g.Stats(); s.Dropped != 1 || fn.entered.Load() != 2 {
		t.Errorf("stats %+v, function ran %d times; want both run, one callback lost", s, fn.entered.Load())
	}
}

func TestOpenFaaSAsyncRefusals(t *testing.T) {
	fn := &echo{}
	_, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": Handler{fn}}, MaxPayload: 600})
	if resp := asyncPost(t, url+"/async-function/overcast", "f", "http://[::1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad X-Callback-Url: %s, want 400", resp.Status)
	}
	// 300 bytes of body are 400 in base64, and the headers come on top.
	if resp := asyncPost(t, url+"/async-function/overcast", strings.Repeat("g", 300), ""); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("call over the queue's payload limit: %s, want 500", resp.Status)
	}
	if resp := asyncPost(t, url+"/async-function/overcast", strings.Repeat("g", 10), ""); resp.StatusCode != http.StatusAccepted {
		t.Errorf("call under the queue's payload limit: %s, want 202", resp.Status)
	}
	if resp := asyncPost(t, url+"/async-function/missing", "h", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing function: %s, want 404", resp.Status)
	}
}

func TestOpenFaaSBasicAuth(t *testing.T) {
	fn := &echo{}
	_, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": Handler{fn}}, User: "admin", Password: "pw"})
	get := func(user, pw string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, url+"/system/functions", nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, c := range [][2]string{{"", ""}, {"admin", "wrong"}, {"other", "pw"}} {
		resp := get(c[0], c[1])
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/system/functions as %q/%q: %s, want 401", c[0], c[1], resp.Status)
		}
	}
	resp := get("admin", "pw")
	defer resp.Body.Close()
	var list []struct{ Name string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list) != 1 || list[0].Name != "overcast" {
		t.Errorf("/system/functions with credentials: %s %v %v", resp.Status, list, err)
	}
	if resp, _ := post(t, url+"/function/overcast/invoke", "i"); resp.StatusCode != http.StatusOK {
		t.Errorf("function call without gateway credentials: %s, want 200 (functions check their own callers)", resp.Status)
	}
}
