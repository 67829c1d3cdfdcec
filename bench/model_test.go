package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestModelSaysEverySetting(t *testing.T) {
	target := &SimTarget{ColdStart: 500 * time.Millisecond, APILatency: 20 * time.Millisecond, RequestRate: 1500, Process: SimSeparate}
	m := target.Model(10000)
	if m.ConcurrencyLimit != 10000 || m.SimProcess != SimSeparate || m.ContainerMode != "inproc" || m.ColdStartMS != 500 {
		t.Errorf("model %+v", m)
	}
	want := "cold start 500 ms, API latency 20 ms, API rate 1,500/s, concurrency limit 10,000, inproc containers, sim separate"
	if got := m.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	m = (&SimTarget{}).Model(0)
	if s := m.String(); !strings.Contains(s, "API rate unlimited") || !strings.Contains(s, "limit tasks (at least 1,000)") || !strings.Contains(s, "sim in-process") {
		t.Errorf("default model %q", s)
	}
}

// Tasks killed at the action's time limit all count as failed, and "all
// running" still counts them.
func TestFanoutCountsFailedTasks(t *testing.T) {
	target := &SimTarget{ActionTimeout: 200 * time.Millisecond}
	o := &FanoutOptions{Tasks: 5, TaskMS: 5000}
	r, err := Fanout(context.Background(), target, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.FailedTasks != 5 || r.TimeToAllRunningSeconds <= 0 || r.TimeToAllRunningSeconds > r.MakespanSeconds {
		t.Errorf("result %+v", r)
	}
}

func TestReadSimConfig(t *testing.T) {
	cfg := readSimConfig(strings.NewReader("APIHOST=http://127.0.0.1:5\nAUTH=a:b\nNAMESPACE=guest\n"))
	if cfg.APIHost != "http://127.0.0.1:5" || cfg.Auth != "a:b" {
		t.Errorf("config %+v", cfg)
	}
	if cfg := readSimConfig(strings.NewReader("APIHOST=http://x\n")); cfg.Auth != "" {
		t.Errorf("config without AUTH: %+v", cfg)
	}
}

func TestSeparateSimThatExitsIsAnError(t *testing.T) {
	target := &SimTarget{Process: SimSeparate, Binary: "/bin/false"}
	if _, err := target.Start(1); err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Errorf("error %v", err)
	}
	target.Binary = "/nonexistent/overcast"
	if _, err := target.Start(1); err == nil {
		t.Error("a missing binary started")
	}
	if _, err := (&SimTarget{Process: "elsewhere"}).Start(1); err == nil {
		t.Error("an unknown sim process started")
	}
}

func TestHeadBufferKeepsTheStart(t *testing.T) {
	h := &headBuffer{max: 5}
	h.Write([]byte("abc\n"))
	h.Write([]byte("defgh"))
	if got := h.tail(); got != "abc d" {
		t.Errorf("kept %q", got)
	}
	if got := (&headBuffer{max: 5}).tail(); got != "no output" {
		t.Errorf("empty: %q", got)
	}
}
