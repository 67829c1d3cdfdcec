package sim

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loopResult is what testdata/loop answers.
type loopResult struct {
	Echo         any      `json:"echo"`
	PID          int      `json:"pid"`
	Count        int      `json:"count"`
	Env          []string `json:"env"`
	ActivationID string   `json:"activation_id"`
	ActionName   string   `json:"action_name"`
	Namespace    string   `json:"namespace"`
	Deadline     string   `json:"deadline"`
	Getenv       string   `json:"getenv"`
}

func processServer(t *testing.T, o *Options) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program")
	}
	code := loopCode(t)
	o.Mode = ModeProcess
	s := newServer(t, o)
	putAction(t, s, "loop", code, map[string]int{"timeout": 2000})
	return s
}

// invokeLoop invokes the loop action blocking with params and returns
// the status and the activation.
func invokeLoop(t *testing.T, s *Server, params string) (int, *activation, loopResult) {
	t.Helper()
	code, b, _ := call(t, s, "POST", "/namespaces/_/actions/loop?blocking=true", []byte(params))
	a := decode[activation](t, b)
	var r loopResult
	if a.Response != nil {
		json.Unmarshal(a.Response.Result, &r)
	}
	return code, &a, r
}

// invokeCold invokes the loop action for the first time with params,
// which log "hello", so that it starts its container, and checks what the
// action saw.
func invokeCold(t *testing.T, s *Server, params string) (*activation, loopResult) {
	t.Helper()
	code, a, r := invokeLoop(t, s, params)
	if code != 200 || a.Response.Status != "success" || a.annotation("initTime") == "" {
		t.Fatalf("first invoke: %d %+v", code, a)
	}
	if r.ActivationID != a.ActivationID || r.ActionName != "/guest/loop" || r.Namespace != "guest" || len(r.Deadline) < 13 || r.Count != 1 {
		t.Errorf("run body as the action saw it: %+v", r)
	}
	return a, r
}

// checkWarmReuse checks the logs of the first activation a, result r,
// and that a second invocation reuses its container.
func checkWarmReuse(t *testing.T, s *Server, a *activation, r loopResult) {
	t.Helper()
	if len(a.Logs) != 2 || !strings.HasSuffix(a.Logs[0], " stdout: hello") || !strings.HasSuffix(a.Logs[1], " stderr: err: hello") {
		t.Errorf("logs %q", a.Logs)
	}
	code, a2, r2 := invokeLoop(t, s, `{"echo":2}`)
	if code != 200 || r2.PID != r.PID || r2.Count != 2 || a2.annotation("initTime") != "" || len(a2.Logs) != 0 {
		t.Errorf("second invoke not warm: %d %+v %+v", code, r2, a2)
	}
	if st := s.Stats(); st.ColdStarts != 1 {
		t.Errorf("cold starts %d", st.ColdStarts)
	}
}

// failure is a way the loop action fails, and what the invoker answers.
type failure struct {
	name, params string
	status, msg  string
	newProcess   bool // the container was discarded
}

// checkFailures invokes the loop action once, then with each failure in
// turn: each answers 502 with its status and message, and the invocation
// after it runs in a new container exactly when the failure discards one.
func checkFailures(t *testing.T, s *Server, tests []failure) {
	t.Helper()
	_, _, first := invokeLoop(t, s, `{}`)
	pid := first.PID
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, a, _ := invokeLoop(t, s, tt.params)
			if code != 502 || a.Response.Status != tt.status || !strings.Contains(string(a.Response.Result), tt.msg) {
				t.Fatalf("got %d %s %s", code, a.Response.Status, a.Response.Result)
			}
			if (a.annotation("timeout") == "true") != (tt.name == "timeout") {
				t.Errorf("timeout annotation %s", a.annotation("timeout"))
			}
			_, next, r := invokeLoop(t, s, `{}`)
			if (r.PID != pid) != tt.newProcess || (next.annotation("initTime") != "") != tt.newProcess {
				t.Errorf("after %s: pid %d (was %d), initTime %q", tt.name, r.PID, pid, next.annotation("initTime"))
			}
			pid = r.PID
		})
	}
}

// checkCrashes invokes the loop action twice on a server whose containers
// always crash: each answers 502 and counts a crash and a cold start.
func checkCrashes(t *testing.T, s *Server) {
	t.Helper()
	for range 2 {
		code, a, _ := invokeLoop(t, s, `{}`)
		if code != 502 || a.Response.Status != "action developer error" || !strings.Contains(string(a.Response.Result), msgAbnormalRun) {
			t.Fatalf("crash: %d %s", code, a.Response.Result)
		}
	}
	if st := s.Stats(); st.Crashes != 2 || st.ColdStarts != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestProcessWarmReuse(t *testing.T) {
	s := processServer(t, &Options{})
	a, r := invokeCold(t, s, `{"echo": {"x": [1, 2]},
		"log": "hello"}`)
	for _, k := range r.Env {
		if !strings.HasPrefix(k, "__OW_") {
			t.Errorf("environment has %s", k)
		}
	}
	checkWarmReuse(t, s, a, r)
}

func TestProcessFailures(t *testing.T) {
	s := processServer(t, &Options{ResultLimit: 1000})
	tests := []failure{
		{"application error", `{"error":"bad input"}`, "application error", `{"error":"bad input"}`, false},
		{"result limit", `{"big":2000}`, "application error", "exceeded the allowed length", false},
		{"bad output", `{"bad":true}`, "action developer error", "did not produce a valid JSON response: this is not json", true},
		{"exit", `{"exit":3}`, "action developer error", msgAbnormalRun, true},
		{"timeout", `{"sleep_ms":5000}`, "action developer error", msgTimeout(2000), true},
	}
	checkFailures(t, s, tests)
}

func TestProcessCrashFault(t *testing.T) {
	s := processServer(t, &Options{Faults: Faults{CrashRate: 1}})
	checkCrashes(t, s)
}

func TestProcessBadExec(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s := newServer(t, &Options{Mode: ModeProcess})
	putAction(t, s, "bad", zipCode(t, zipEntry{name: "exec", data: "not a program"}, zipEntry{name: "exec.env", data: "openwhisk/action-golang-v1.24", mode: 0o644}), nil)
	code, b, _ := call(t, s, "POST", "/namespaces/_/actions/bad?blocking=true", []byte(`{}`))
	a := decode[activation](t, b)
	if code != 502 || a.Response.Status != "action developer error" || !strings.Contains(string(a.Response.Result), msgAbnormalInit) {
		t.Errorf("got %d %s", code, b)
	}
}

func TestProcessCloseKillsContainers(t *testing.T) {
	s := processServer(t, &Options{})
	_, _, r := invokeLoop(t, s, `{}`)
	mustCall(t, s, 202, "POST", "/namespaces/_/actions/loop", []byte(`{"sleep_ms":10000}`))
	time.Sleep(200 * time.Millisecond) // the warm container is busy now
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("close took %v", d)
	}
	if err := syscall.Kill(r.PID, 0); err == nil {
		t.Errorf("container process %d still alive", r.PID)
	}
	if _, err := os.Stat(s.tmp); !os.IsNotExist(err) {
		t.Errorf("temporary folder %s: %v", s.tmp, err)
	}
	if st := s.Stats(); st.Running != 0 {
		t.Errorf("still running: %+v", st)
	}
}
