package worker

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

// LambdaHandler serves Lambda invocations: the event is an encoded Request
// and the result the encoded Response, passed through without another JSON
// round trip. A task's failure travels inside the Response, so Invoke never
// returns a function error.
type LambdaHandler struct{}

// Invoke runs the task the event names; see Handle.
func (LambdaHandler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	return Handle(ctx, event), nil
}

// ServeLambda runs the Lambda runtime loop with LambdaHandler. Tasks run
// with ctx's values (InOwnProcess, storage options) under the runtime's
// deadline; ctx's end does not cancel them. It does not return: the
// runtime exits the process when the loop fails.
func ServeLambda(ctx context.Context) {
	lambda.StartWithOptions(LambdaHandler{}, lambda.WithContext(context.WithoutCancel(ctx)))
}

// LambdaDetect reports whether Lambda (or an emulator) started this
// process as a function's bootstrap: no arguments and AWS_LAMBDA_RUNTIME_API
// in the environment, given as "KEY=value" strings.
func LambdaDetect(args, environ []string) bool {
	if len(args) != 0 {
		return false
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_RUNTIME_API="); ok && v != "" {
			return true
		}
	}
	return false
}
