package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/backend/driver"
)

// TestInvokeKeepsLogTail checks that the log tail Lambda returns reaches
// the Activation of a successful invoke and the error of a crashed one,
// whose message quotes the function's own last lines, not Lambda's.
func TestInvokeKeepsLogTail(t *testing.T) {
	tail := "START RequestId: r9 Version: $LATEST\nworking on it\nsomething odd: x=3\n" +
		"END RequestId: r9\nREPORT RequestId: r9\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax Memory Used: 20 MB\t\n"
	header := map[string]string{"X-Amz-Log-Result": base64.StdEncoding.EncodeToString([]byte(tail)), "X-Amzn-RequestId": "r9"}
	answer := func(flag, body string) (*driver.Activation, error) {
		s, ep := newStandIn(t)
		s.invoke = func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			if flag != "" {
				w.Header().Set("X-Amz-Function-Error", flag)
			}
			w.Write([]byte(body))
		}
		return openDeployer(t, ep, "").Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{}`)})
	}
	act, err := answer("", envelope)
	if err != nil || act.ID != "r9" || len(act.Logs) != 5 || act.Logs[1] != "working on it" {
		t.Fatalf("Invoke = %+v, %v; want id r9 and the 5 lines of the tail", act, err)
	}
	_, err = answer("Unhandled", `{"errorMessage":"RequestId: r9 Error: Runtime exited with error: exit status 2","errorType":"Runtime.ExitError"}`)
	var ae driver.AttemptError
	if !errors.As(err, &ae) || ae.AttemptID() != "r9" || len(ae.AttemptLogs()) != 5 {
		t.Fatalf("crash error %v: want an AttemptError with id r9 and the tail", err)
	}
	if msg := err.Error(); !strings.HasSuffix(msg, "; last logs: working on it | something odd: x=3") {
		t.Errorf("crash message %q; want it to end with the function's own last lines", msg)
	}
}

func TestLogLocation(t *testing.T) {
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Function: "pi"}, "group /aws/lambda/pi; see them with: aws logs filter-log-events --log-group-name /aws/lambda/pi --filter-pattern '\"r1\"'"},
		{Options{Function: "arn:aws:lambda:eu-west-1:123456789012:function:pi:prod"}, "group /aws/lambda/pi;"},
		{Options{Function: "function", Endpoints: []string{"http://127.0.0.1:9000"}}, "emulator at http://127.0.0.1:9000"},
	} {
		d := &Driver{opts: &tt.opts}
		if got := d.LogLocation("r1"); !strings.Contains(got, tt.want) {
			t.Errorf("LogLocation for %+v = %q; want it to contain %q", tt.opts, got, tt.want)
		}
	}
}
