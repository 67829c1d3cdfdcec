package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func init() {
	Register("altest/wait", func(ctx context.Context, in []byte) ([]byte, error) {
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return []byte(`"slept"`), nil
		}
	})
}

func TestActionLoopDetect(t *testing.T) {
	for _, tt := range []struct {
		args, env []string
		fd3, want bool
	}{
		{nil, []string{"__OW_API_HOST=x"}, true, true},
		{nil, []string{"A=b", "__OW_WAIT_FOR_ACK=1"}, true, true},
		{nil, []string{"__OW_API_HOST=x"}, false, false}, // dockerskeleton, input on stdin
		{nil, []string{"PATH=/bin", "HOME=/root"}, true, false},
		{[]string{"run"}, []string{"__OW_API_HOST=x"}, true, false},
		{nil, nil, true, false},
	} {
		if got := ActionLoopDetect(tt.args, tt.env, tt.fd3); got != tt.want {
			t.Errorf("ActionLoopDetect(%q, %q, fd3 %v) = %v, want %v", tt.args, tt.env, tt.fd3, got, tt.want)
		}
	}
}

func TestBlackboxDetect(t *testing.T) {
	ow := []string{"__OW_ACTION_NAME=/guest/a", "__OW_DEADLINE=1"}
	for _, tt := range []struct {
		args, env []string
		fd3, want bool
	}{
		{[]string{`{"task":"x"}`}, ow, false, true},
		{[]string{" {}"}, nil, false, true},
		{nil, ow, false, true}, // over MAX_ARG_STRLEN: stdin only
		{nil, ow, true, false}, // the actionloop proxy's exec
		{nil, []string{"PATH=/bin"}, false, false},
		{[]string{"run", "pi"}, ow, false, false},
		{[]string{"{}", "x"}, ow, false, false},
	} {
		if got := BlackboxDetect(tt.args, tt.env, tt.fd3); got != tt.want {
			t.Errorf("BlackboxDetect(%q, %q, fd3 %v) = %v, want %v", tt.args, tt.env, tt.fd3, got, tt.want)
		}
	}
}

// TestFD3Writable runs this test binary again with fd 3 a pipe's write
// end, its read end, and not open at all.
func TestFD3Writable(t *testing.T) {
	if os.Getenv("WORKER_TEST_FD3") == "1" {
		fmt.Print(FD3Writable())
		os.Exit(0)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tt := range []struct {
		name  string
		extra []*os.File
		want  string
	}{{"write end", []*os.File{w}, "true"}, {"read end", []*os.File{r}, "false"}, {"closed", nil, "false"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFD3Writable$")
		cmd.Env = append(os.Environ(), "WORKER_TEST_FD3=1")
		cmd.ExtraFiles = tt.extra
		out, err := cmd.Output()
		if err != nil || string(out) != tt.want {
			t.Errorf("fd 3 %s: FD3Writable printed %q (%v), want %s", tt.name, out, err, tt.want)
		}
	}
}

// runBodyLine returns a /run body as the Go proxy writes it.
func runBodyLine(value string, deadline time.Time) string {
	b, _ := json.Marshal(map[string]any{"value": json.RawMessage(value), "namespace": "ns", "action_name": "/ns/a",
		"activation_id": "abc", "transaction_id": "t", "deadline": strconv.FormatInt(deadline.UnixMilli(), 10), "api_key": "k"})
	return string(b) + "\n"
}

func TestServeActionLoop(t *testing.T) {
	t.Setenv("__OW_WAIT_FOR_ACK", "1")
	far := time.Now().Add(time.Minute)
	huge := `{"task":"wtest/echo","input":"` + strings.Repeat("x", 200<<10) + `"}`
	lines := []string{
		runBodyLine(`{"task":"wtest/echo","input":{"a":1},"index":4}`, far),
		"this is not json\n",
		"\n",
		" \t \r\n",
		runBodyLine(`{"task":"wtest/fail","input":null}`, far),
		`{"value": 42}` + "\n",
		runBodyLine(huge, far),
		runBodyLine(`{"task":"altest/wait","input":null}`, time.Now().Add(50*time.Millisecond)),
		runBodyLine(`{"task":"wtest/req","input":null,"index":7,"attempt":3}`, far),
	}
	var fd3, logs bytes.Buffer
	err := ServeActionLoop(context.Background(), strings.NewReader(strings.Join(lines, "")), &fd3, &logs)
	if err != nil {
		t.Fatalf("ServeActionLoop: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(fd3.String(), "\n"), "\n")
	want := []struct{ output, errKind string }{
		{"", ""}, // the acknowledgement
		{`{"a":1}`, ""},
		{"", "input"},
		{"", "input"}, // the blank line
		{"", "input"}, // the whitespace-only line
		{"", "error"},
		{"", "input"},
		{`"` + strings.Repeat("x", 200<<10) + `"`, ""},
		{"", "error"},
		{"[7,3]", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("fd 3 has %d lines, want %d:\n%s", len(got), len(want), fd3.String())
	}
	if got[0] != `{"ok":true}` {
		t.Errorf("first line %q, want the acknowledgement", got[0])
	}
	for i, w := range want[1:] {
		r, err := DecodeResponse([]byte(got[i+1]))
		if err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, got[i+1])
		}
		switch {
		case w.errKind != "" && (r.Error == nil || r.Error.Kind != w.errKind):
			t.Errorf("line %d = %s, want an error of kind %q", i+1, got[i+1], w.errKind)
		case w.errKind == "" && string(r.Output) != w.output:
			t.Errorf("line %d output = %.80s, want %.80s", i+1, r.Output, w.output)
		}
	}
	if !strings.Contains(logs.String(), "bad /run body") {
		t.Errorf("logs = %q, want a note about the bad line", logs.String())
	}
}

func TestServeActionLoopNoAck(t *testing.T) {
	t.Setenv("__OW_WAIT_FOR_ACK", "")
	var fd3 bytes.Buffer
	in := runBodyLine(`{"task":"wtest/echo","input":1}`, time.Now().Add(time.Minute))
	if err := ServeActionLoop(context.Background(), strings.NewReader(strings.TrimSuffix(in, "\n")), &fd3, io.Discard); err != nil {
		t.Fatal(err)
	}
	r, err := DecodeResponse(bytes.TrimSuffix(fd3.Bytes(), []byte("\n")))
	if err != nil || string(r.Output) != "1" || strings.Count(fd3.String(), "\n") != 1 {
		t.Fatalf("fd 3 = %q (%v), want one response line with output 1", fd3.String(), err)
	}
}

// TestServeActionLoopPipes drives the loop as the proxy does: one line in,
// wait for one line out, over pipes.
func TestServeActionLoopPipes(t *testing.T) {
	t.Setenv("__OW_WAIT_FOR_ACK", "true")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeActionLoop(context.Background(), inR, outW, io.Discard) }()
	out := bufio.NewReader(outR)
	if ack, _ := out.ReadString('\n'); ack != "{\"ok\":true}\n" {
		t.Fatalf("ack = %q", ack)
	}
	for i := range 3 {
		io.WriteString(inW, runBodyLine(`{"task":"wtest/req","input":null,"index":`+strconv.Itoa(i)+`}`, time.Now().Add(time.Minute)))
		line, err := out.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		r, err := DecodeResponse(line)
		if err != nil || string(r.Output) != "["+strconv.Itoa(i)+",0]" {
			t.Fatalf("answer %d = %s (%v)", i, line, err)
		}
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeActionLoop after stdin closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeActionLoop did not return after stdin closed")
	}
}

func TestReadLineTooLong(t *testing.T) {
	long := strings.Repeat("y", 300)
	r := bufio.NewReaderSize(strings.NewReader(long+"\nshort\n"), 16)
	if _, err := readLine(r, 100); err != errLineTooLong {
		t.Fatalf("readLine of a long line: err = %v, want errLineTooLong", err)
	}
	if line, err := readLine(r, 100); err != nil || string(line) != "short" {
		t.Fatalf("next line = %q, %v; want \"short\"", line, err)
	}
	if _, err := readLine(r, 100); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}
}

func TestServeBlackbox(t *testing.T) {
	req := `{"task":"wtest/echo","input":"hi"}`
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		want  string
		kind  string
	}{
		{"argument", []string{req}, req, `"hi"`, ""},
		{"stdin only", nil, req + "\n", `"hi"`, ""},
		{"blank stdin", nil, " \n", "", "input"},
	} {
		var out bytes.Buffer
		if err := ServeBlackbox(context.Background(), tt.args, strings.NewReader(tt.stdin), &out); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r, err := DecodeResponse(bytes.TrimSpace(out.Bytes()))
		switch {
		case err != nil:
			t.Errorf("%s: output %q: %v", tt.name, out.String(), err)
		case tt.kind != "" && (r.Error == nil || r.Error.Kind != tt.kind):
			t.Errorf("%s: answer %s, want an error of kind %s", tt.name, out.String(), tt.kind)
		case tt.kind == "" && string(r.Output) != tt.want:
			t.Errorf("%s: output %s, want %s", tt.name, r.Output, tt.want)
		}
	}
}

// FuzzActionLoopOneAnswerPerLine checks the contract the proxy relies on:
// every input line, blank or garbage included, gets exactly one answer line.
func FuzzActionLoopOneAnswerPerLine(f *testing.F) {
	f.Add([]byte("\n \t\n{}\nnot json\n" + `{"value":{"task":"wtest/echo","input":1}}`))
	f.Add([]byte(`{"value":{"task":"wtest/panic","input":1}}` + "\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.Contains(in, []byte("altest/wait")) {
			return // sleeps for seconds by design
		}
		t.Setenv("__OW_WAIT_FOR_ACK", "")
		var fd3 bytes.Buffer
		if err := ServeActionLoop(context.Background(), bytes.NewReader(in), &fd3, io.Discard); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Count(in, []byte("\n"))
		if i := bytes.LastIndexByte(in, '\n'); len(in)-i-1 > 0 {
			lines++ // a last line without its newline
		}
		if got := bytes.Count(fd3.Bytes(), []byte("\n")); got != lines {
			t.Fatalf("%d input lines got %d answer lines:\n%q\n%q", lines, got, in, fd3.Bytes())
		}
	})
}
