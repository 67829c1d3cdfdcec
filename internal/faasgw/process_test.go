package faasgw

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/faasgw/faasgwtest"
	"github.com/overcast-sc/overcast/worker"
)

// workerBin returns the overcast binary, skipping the test (failing it
// under REQUIRE_PEERS=1) when it cannot be built or has no worker serve.
func workerBin(t *testing.T) string {
	t.Helper()
	return faasgwtest.WorkerBin(t)
}

// echoEnvelope is the encoded envelope of selftest/echo with input n.
func echoEnvelope(t *testing.T, n int) string {
	t.Helper()
	b, err := worker.EncodeRequest(&worker.Request{Task: "selftest/echo", Input: json.RawMessage(`{"n":` + strconv.Itoa(n) + `}`)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func invoke(t *testing.T, url, token, body string) (*http.Response, *worker.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	var out worker.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp, &out
}

// TestKnativeWorkerProcess runs a task through the Knative stand-in on a
// real worker process it starts from zero.
func TestKnativeWorkerProcess(t *testing.T) {
	bin := workerBin(t)
	p := &Process{Bin: bin, Token: "T", Args: []string{"worker", "serve", "--concurrency", "2"}, Stderr: os.Stderr}
	k, url := newKnative(t, KnativeOptions{Starter: p, ContainerConcurrency: 2, ColdWindow: 10 * time.Millisecond})
	resp, out := invoke(t, url+"/invoke", "T", echoEnvelope(t, 7))
	if out == nil || out.Error != nil || string(out.Output) != `{"n":7,"attempt":0}` {
		t.Fatalf("task through the revision: %s %+v", resp.Status, out)
	}
	if resp, _ := invoke(t, url+"/invoke", "wrong", echoEnvelope(t, 1)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token through the revision: %s, want the worker's 401", resp.Status)
	}
	if s := k.Stats(); s.Started != 1 {
		t.Errorf("stats %+v, want one worker process", s)
	}
}

// TestOpenFaaSWorkerProcess runs a task through the OpenFaaS stand-in's
// sync and async routes on a real worker process.
func TestOpenFaaSWorkerProcess(t *testing.T) {
	bin := workerBin(t)
	p := &Process{Bin: bin, Token: "T", Stderr: os.Stderr}
	_, url := newOpenFaaS(t, OpenFaaSOptions{Functions: map[string]Starter{"overcast": p}})
	resp, out := invoke(t, url+"/function/overcast/invoke", "T", echoEnvelope(t, 5))
	if out == nil || out.Error != nil || string(out.Output) != `{"n":5,"attempt":0}` {
		t.Fatalf("sync task: %s %+v", resp.Status, out)
	}
	cbURL, got := callbackServer(t)
	req, _ := http.NewRequest(http.MethodPost, url+"/async-function/overcast/invoke", strings.NewReader(echoEnvelope(t, 6)))
	req.Header.Set("Authorization", "Bearer T")
	req.Header.Set("X-Callback-Url", cbURL)
	ar, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ar.Body.Close()
	c := await(t, got)
	var res worker.Response
	if err := json.Unmarshal([]byte(c.body), &res); err != nil || string(res.Output) != `{"n":6,"attempt":0}` ||
		c.header.Get("X-Call-Id") != ar.Header.Get("X-Call-Id") {
		t.Errorf("async task's callback: %q %v (%v)", c.body, c.header, err)
	}
}
