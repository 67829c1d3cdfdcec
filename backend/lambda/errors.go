package lambda

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/internal/retryafter"
)

// Error is a classified failure of an invocation.
type Error struct {
	Code driver.ErrorCode
	Msg  string
	Err  error
	// Billed is the billed duration of a function that ran and failed,
	// from the log tail's REPORT line; zero when unknown.
	Billed time.Duration
	// RequestID is the invocation's request id, when the function ran.
	RequestID string
	// Logs is the log tail Lambda returned with the failure, if any.
	Logs []string
	// Reason is why Lambda throttled the invocation (the
	// TooManyRequestsException's Reason, e.g.
	// ConcurrentInvocationLimitExceeded); Wait is the Retry-After it sent.
	Reason string
	Wait   time.Duration
}

// RetryAfter returns the Retry-After Lambda sent with a throttle, zero
// when it sent none (driver.ThrottleError).
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// Limit returns zero: Lambda's throttles do not say the limit
// (driver.ThrottleError).
func (e *Error) Limit() int { return 0 }

// PerMinute reports whether a throttle was of an invocation rate rather
// than of concurrency: FunctionInvocationRateLimitExceeded,
// ReservedFunctionInvocationRateLimitExceeded or CallerRateLimitExceeded
// (driver.PerMinuteError). Lambda does not say the rate; the portable
// backend then slows down instead of pacing to it.
func (e *Error) PerMinute() bool {
	return e.Code == driver.ResourceExhausted && strings.Contains(e.Reason, "RateLimitExceeded")
}

// AttemptID returns the request id (driver.AttemptError).
func (e *Error) AttemptID() string { return e.RequestID }

// AttemptLogs returns the log tail (driver.AttemptError).
func (e *Error) AttemptLogs() []string { return e.Logs }

// BilledDuration returns Billed (driver.BilledError).
func (e *Error) BilledDuration() time.Duration { return e.Billed }

// Error returns the message and, for an error of the API, its code and
// message rather than the SDK's whole chain.
func (e *Error) Error() string {
	if e.Err == nil {
		if last := lastLogs(e.Logs); len(last) > 0 {
			return e.Msg + "; last logs: " + strings.Join(last, " | ")
		}
		return e.Msg
	}
	var ae smithy.APIError
	if errors.As(e.Err, &ae) && ae.ErrorCode() != "" {
		detail := ae.ErrorCode()
		if m := ae.ErrorMessage(); m != "" {
			detail += ": " + m
		}
		return e.Msg + " (" + detail + ")"
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the SDK's error, if any.
func (e *Error) Unwrap() error { return e.Err }

// errorCode classifies an error Invoke returned.
func errorCode(err error) driver.ErrorCode {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return driver.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return driver.Canceled
	}
	return driver.Unknown
}

// maxPayload is Lambda's limit on a synchronous invocation's request and
// response.
const maxPayload = 6 << 20

func payloadTooLarge(n int) *Error {
	return &Error{Code: driver.InvalidArgument, Msg: fmt.Sprintf(
		"task envelope is %.1f MB, over Lambda's 6 MB limit for a synchronous invocation; pass large data through object storage and send its key instead", float64(n)/(1<<20))}
}

// classify turns an SDK error into an *Error. body is what a 5xx answer
// carried, when captured.
func (d *Driver) classify(err error, body []byte) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, errAnswerTooLarge) {
		return &Error{Code: driver.TaskFailed, Msg: "the answer is over Lambda's 6 MB payload limit", Err: err}
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	if status == 502 && len(d.opts.Endpoints) > 0 {
		if fe, ok := parseFunctionError(body); ok { // an emulator's crashed runtime
			return &Error{Code: driver.Crashed, Msg: "the function crashed: " + fe.String()}
		}
	}
	if status >= 500 && isMarkup(body) {
		return d.notLambda(status, body)
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	fn := d.opts.Function
	switch {
	case code == "TooManyRequestsException" || status == 429:
		return throttled(err, re)
	case (code == "ResourceNotFoundException" || status == 404) && len(d.opts.Endpoints) > 0:
		return &Error{Code: driver.NotFound, Msg: fmt.Sprintf(
			"function %s not found at %s (the Lambda Runtime Interface Emulator answers only to --function function)", fn, strings.Join(d.opts.Endpoints, ", "))}
	case code == "ResourceNotFoundException" || status == 404:
		return &Error{Code: driver.NotFound, Msg: fmt.Sprintf("function %s not found; run overcast deploy --backend lambda", fn), Err: err}
	case code == "RequestTooLargeException" || status == 413:
		return &Error{Code: driver.InvalidArgument, Msg: "request over Lambda's 6 MB payload limit; pass large data through object storage", Err: err}
	case isAuth(code) || status == 401 || status == 403:
		return &Error{Code: driver.PermissionDenied, Msg: fmt.Sprintf("AWS refused the request: check the credentials and that they allow lambda:InvokeFunction on %s", fn), Err: err}
	case isCredentials(err):
		return d.credentialsError(err)
	case code == "ResourceConflictException" || code == "ResourceNotReadyException" || status >= 500:
		return &Error{Code: driver.Unavailable, Msg: "Lambda is unavailable", Err: err}
	case status >= 400:
		return &Error{Code: driver.InvalidArgument, Msg: "Lambda refused the request", Err: err}
	case isDial(err):
		return &Error{Code: driver.Unreachable, Msg: "cannot reach Lambda", Err: err}
	case status == 0:
		return &Error{Code: driver.Lost, Msg: "the invocation's answer was lost", Err: err}
	}
	return &Error{Code: driver.Unknown, Msg: "invoke", Err: err}
}

// throttled is the error of a throttled invocation, with the reason and
// the Retry-After Lambda gave: from the SDK's TooManyRequestsException, or
// from the answer's header when another server said 429.
func throttled(err error, re *awshttp.ResponseError) *Error {
	e := &Error{Code: driver.ResourceExhausted, Msg: "throttled", Err: err}
	now := time.Now()
	var tm *types.TooManyRequestsException
	if errors.As(err, &tm) {
		e.Reason = string(tm.Reason)
		e.Wait = retryafter.Parse(aws.ToString(tm.RetryAfterSeconds), now)
	}
	if e.Wait == 0 && re != nil && re.Response != nil {
		e.Wait = retryafter.Of(re.Response.Header, now)
	}
	if e.Reason != "" {
		e.Msg += " (" + e.Reason + ")"
	}
	return e
}

// isMarkup reports a body that is a web page (HTML or XML), which the
// Lambda API, JSON only, never sends.
func isMarkup(body []byte) bool {
	return strings.HasPrefix(strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n"), "<")
}

// notLambda is the error for an answer only a server other than Lambda
// gives: a web page for an error. It is not retried.
func (d *Driver) notLambda(status int, body []byte) *Error {
	where, check := "the Lambda endpoint", "the region and network"
	if len(d.opts.Endpoints) > 0 {
		where, check = strings.Join(d.opts.Endpoints, ", "), "--endpoint"
	}
	text := strings.TrimSpace(string(body[:min(len(body), 60)]))
	return &Error{Code: driver.Unknown, Msg: fmt.Sprintf(
		"%s answered HTTP %d with a web page (%q), which the Lambda API never sends; check %s", where, status, text, check)}
}

func isAuth(code string) bool {
	switch code {
	case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
		"ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationToken", "KMSAccessDeniedException":
		return true
	}
	return false
}

func isCredentials(err error) bool {
	s := err.Error()
	return strings.Contains(s, "get identity") || strings.Contains(s, "retrieve credentials")
}

// credentialsError is the error of a request the SDK could not sign.
// When its chain of providers ran out (the last, the instance role, is
// disabled or absent) no credentials were found: the message says where
// they were looked for, in one line and without the SDK's chain.
func (d *Driver) credentialsError(err error) *Error {
	if !strings.Contains(err.Error(), "EC2 IMDS") {
		return &Error{Code: driver.PermissionDenied, Msg: "AWS credentials could not be loaded", Err: err}
	}
	return &Error{Code: driver.PermissionDenied, Msg: noCredentials(d.opts.Profile)}
}

// noCredentials says where the SDK looks for credentials, in its order.
func noCredentials(profile string) string {
	if profile == "" {
		profile = cmp.Or(os.Getenv("AWS_PROFILE"), "default")
	}
	creds := cmp.Or(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), config.DefaultSharedCredentialsFilename())
	conf := cmp.Or(os.Getenv("AWS_CONFIG_FILE"), config.DefaultSharedConfigFilename())
	return fmt.Sprintf("no AWS credentials found: looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "+
		"profile %q (--profile, AWS_PROFILE) in %s and %s with its SSO login (aws sso login), and the EC2/ECS instance role", profile, creds, conf)
}

// isDial reports a connection that was never made: the request was not sent.
func isDial(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// functionError is the body Lambda answers a failed function with.
type functionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e functionError) String() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

func parseFunctionError(body []byte) (functionError, bool) {
	var fe functionError
	if json.Unmarshal(body, &fe) != nil || (fe.Message == "" && fe.Type == "") {
		return fe, false
	}
	return fe, true
}

// isEnvelope reports whether body is a worker.Response, which always
// starts with its output, the storage key of its output, or its error.
func isEnvelope(body []byte) bool {
	s := strings.TrimLeft(string(body[:min(len(body), 20)]), " \t\r\n")
	return strings.HasPrefix(s, `{"output":`) || strings.HasPrefix(s, `{"error":`) || strings.HasPrefix(s, `{"output_key":`)
}

// failedFunction classifies a 200 answer that is not our envelope, or one
// flagged with X-Amz-Function-Error: a crash, a platform timeout, or a
// handler error from a worker that does not speak the envelope.
func failedFunction(flag string, body []byte) *Error {
	text := strings.TrimSpace(string(body[:min(len(body), 4096)]))
	msg := "function error"
	if flag != "" {
		msg += " (" + flag + ")"
	}
	if fe, ok := parseFunctionError(body); ok {
		code := driver.TaskFailed
		switch {
		case strings.Contains(fe.Message, "Task timed out"):
			msg = "the function timed out"
		case strings.HasPrefix(fe.Type, "Runtime."):
			msg, code = "the function crashed", driver.Crashed
		}
		return &Error{Code: code, Msg: msg + ": " + fe.String()}
	}
	if strings.HasPrefix(text, "Task timed out") {
		return &Error{Code: driver.TaskFailed, Msg: "the function timed out: " + text}
	}
	if text == "" {
		text = "empty response"
	}
	return &Error{Code: driver.TaskFailed, Msg: msg + ": unexpected response: " + text}
}
