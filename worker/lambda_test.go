package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/worker"
)

func TestLambdaDetect(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    bool
	}{
		{"runtime api", nil, []string{"HOME=/", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, true},
		{"no env", nil, []string{"HOME=/"}, false},
		{"empty value", nil, []string{"AWS_LAMBDA_RUNTIME_API="}, false},
		{"with args", []string{"run", "pi"}, []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"}, false},
		{"prefix only", nil, []string{"AWS_LAMBDA_RUNTIME_API_X=1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := worker.LambdaDetect(tt.args, tt.environ); got != tt.want {
				t.Errorf("LambdaDetect(%q, %q) = %v, want %v", tt.args, tt.environ, got, tt.want)
			}
		})
	}
}

func init() {
	worker.Register("lambdatest/upper", func(ctx context.Context, in []byte) ([]byte, error) {
		if string(in) == `"fail"` {
			return nil, errors.New("asked to fail")
		}
		return []byte(strings.ToUpper(string(in))), nil
	})
}

func TestLambdaHandler(t *testing.T) {
	tests := []struct {
		name, event, output, errMsg string
	}{
		{"output", `{"task":"lambdatest/upper","input":"abc","index":0}`, `"ABC"`, ""},
		{"task error", `{"task":"lambdatest/upper","input":"fail","index":1}`, "", "asked to fail"},
		{"bad envelope", `not json`, "", "decode task envelope"},
		{"unknown task", `{"task":"nope","input":1,"index":0}`, "", `unknown task "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := worker.LambdaHandler{}.Invoke(context.Background(), []byte(tt.event))
			if err != nil {
				t.Fatalf("Invoke returned a function error %v; task errors belong in the response", err)
			}
			resp, err := worker.DecodeResponse(b)
			if err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			if tt.errMsg != "" {
				if resp.Error == nil || !strings.Contains(resp.Error.Message, tt.errMsg) {
					t.Fatalf("response %s, want error containing %q", b, tt.errMsg)
				}
				return
			}
			if resp.Error != nil || string(resp.Output) != tt.output {
				t.Fatalf("response %s, want output %s", b, tt.output)
			}
		})
	}
}
