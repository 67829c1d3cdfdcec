package cli

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

// maxArgStrlen is Linux's MAX_ARG_STRLEN less one, the largest input
// dockerskeleton passes as an argument.
const maxArgStrlen = 131071

// runSkeleton runs the binary for one activation exactly as the blackbox
// kind's dockerskeleton proxy (actionproxy.py of openwhisk-runtime-docker)
// does: the input JSON as the only argument and on stdin when it is at most
// maxArgStrlen bytes, on stdin only (no argument) above that; an
// environment of nothing but __OW_ variables from the message's other
// fields; no file descriptor 3. It returns the last line of stdout, the
// result, and what the process wrote.
func runSkeleton(t *testing.T, value []byte, message map[string]string) (last []byte, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary)
	if len(value) <= maxArgStrlen {
		cmd.Args = append(cmd.Args, string(value))
	}
	for k, v := range message {
		cmd.Env = append(cmd.Env, "__OW_"+strings.ToUpper(k)+"="+v)
	}
	cmd.Stdin = bytes.NewReader(value)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("worker under dockerskeleton: %v\nstderr: %s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	return []byte(lines[len(lines)-1]), out.String(), errOut.String()
}

// TestBlackboxUnderSkeleton passes small, 200 KiB and 900 KiB inputs the
// way dockerskeleton does: the larger two exceed one argument's limit and
// come on stdin only, with no fd 3 open.
func TestBlackboxUnderSkeleton(t *testing.T) {
	message := map[string]string{"namespace": "guest", "action_name": "/guest/overcast", "activation_id": "a1",
		"transaction_id": "t1", "deadline": "4102444800000"}
	for _, tt := range []struct {
		name string
		pad  int
	}{{"small", 10}, {"200KiB", 200 << 10}, {"900KiB", 900 << 10}} {
		t.Run(tt.name, func(t *testing.T) {
			in, _ := json.Marshal(selftest.Input{N: 7, Pad: strings.Repeat("p", tt.pad)})
			value, _ := json.Marshal(worker.Request{Task: selftest.Echo, Index: 3, Attempt: 2, Input: in})
			if (len(value) > maxArgStrlen) != (tt.pad > maxArgStrlen) {
				t.Fatalf("input of %d bytes does not test what it means to", len(value))
			}
			last, stdout, stderr := runSkeleton(t, value, message)
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(last, &obj); err != nil {
				t.Fatalf("last stdout line is not a dictionary, as dockerskeleton requires: %v\nstdout %.200q\nstderr %q", err, stdout, stderr)
			}
			r, err := worker.DecodeResponse(last)
			if err != nil || r.Error != nil {
				t.Fatalf("answer %.200s: %v %v", last, err, r.Error)
			}
			var out selftest.Output
			if err := json.Unmarshal(r.Output, &out); err != nil || out.N != 7 || out.Attempt != 2 || len(out.Pad) != tt.pad {
				t.Errorf("output n=%d attempt=%d pad %d bytes (%v), want n=7 attempt=2 pad %d bytes", out.N, out.Attempt, len(out.Pad), err, tt.pad)
			}
		})
	}
}
