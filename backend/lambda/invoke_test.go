package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/overcast-sc/overcast/backend/driver"
)

const envelope = `{"output":{"n":1},"stats":{"start_ns":1,"end_ns":2}}`

func TestInvokeAnswers(t *testing.T) {
	report := base64.StdEncoding.EncodeToString([]byte("START RequestId: r1\nEND RequestId: r1\n" +
		"REPORT RequestId: r1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 30 MB\t\n"))
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		code    driver.ErrorCode
		message string
		billed  time.Duration // exact when the log tail has a REPORT line
		memory  int
	}{
		{name: "crash with report", status: 200, header: map[string]string{"X-Amz-Function-Error": "Unhandled", "X-Amz-Log-Result": report},
			body: `{"errorMessage":"RequestId: r1 Error: Runtime exited with error: signal: killed","errorType":"Runtime.ExitError"}`,
			code: driver.Crashed, message: "the function crashed", billed: 13 * time.Millisecond},
		{name: "envelope with report", status: 200, header: map[string]string{"X-Amz-Log-Result": report, "X-Amzn-RequestId": "r1"},
			body: envelope, code: driver.OK, billed: 13 * time.Millisecond, memory: 1024},
		{name: "envelope without report", status: 200, body: envelope, code: driver.OK, memory: DefaultMemoryMB},
		{name: "task error inside envelope", status: 200, body: `{"error":{"kind":"error","message":"bad"},"stats":{"start_ns":1,"end_ns":2}}`, code: driver.OK, memory: DefaultMemoryMB},
		{name: "function error header", status: 200, header: map[string]string{"X-Amz-Function-Error": "Unhandled"},
			body: `{"errorMessage":"RequestId: r2 Error: Runtime exited with error: signal: killed","errorType":"Runtime.ExitError"}`,
			code: driver.Crashed, message: "the function crashed: Runtime.ExitError: RequestId: r2 Error: Runtime exited"},
		{name: "real timeout", status: 200, header: map[string]string{"X-Amz-Function-Error": "Unhandled"},
			body: `{"errorMessage":"2026-11-25T09:00:00.000Z r3 Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}`,
			code: driver.TaskFailed, message: "the function timed out: Sandbox.Timedout: 2026-11-25T09:00:00.000Z r3 Task timed out after 3.00 seconds"},
		{name: "error body without header", status: 200, body: `{"errorMessage":"boom","errorType":"errorString"}`,
			code: driver.TaskFailed, message: "function error: errorString: boom"},
		{name: "emulator timeout text", status: 200, body: "Task timed out after 2.00 seconds",
			code: driver.TaskFailed, message: "the function timed out: Task timed out after 2.00 seconds"},
		{name: "emulator crash", status: 502, body: `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: r4 Error: Runtime exited with error: exit status 3"}`,
			code: driver.Crashed, message: "the function crashed: Runtime.ExitError: RequestId: r4"},
		{name: "throttled", status: 429, header: map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"},
			body: `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`, code: driver.ResourceExhausted, message: "throttled"},
		{name: "not found", status: 404, header: map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"},
			body: `{"Type":"User","Message":"Function not found"}`, code: driver.NotFound, message: "function overcast not found at http://127.0.0.1:"},
		{name: "access denied", status: 403, header: map[string]string{"X-Amzn-ErrorType": "AccessDeniedException"},
			body: `{"Message":"not authorized"}`, code: driver.PermissionDenied, message: "lambda:InvokeFunction on overcast"},
		{name: "bad signature", status: 403, header: map[string]string{"X-Amzn-ErrorType": "InvalidSignatureException"},
			body: `{"message":"signature does not match"}`, code: driver.PermissionDenied, message: "AWS refused the request"},
		{name: "service error", status: 500, header: map[string]string{"X-Amzn-ErrorType": "ServiceException"},
			body: `{"Message":"internal"}`, code: driver.Unavailable, message: "Lambda is unavailable"},
		{name: "web page for an error", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html><body><h1>502 Bad Gateway</h1></body></html>", code: driver.Unknown, message: "with a web page"},
		{name: "too large", status: 413, header: map[string]string{"X-Amzn-ErrorType": "RequestTooLargeException"},
			body: `{"Message":"Request must be smaller than 6291456 bytes"}`, code: driver.InvalidArgument, message: "object storage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ep := newStandIn(t)
			var got *http.Request
			s.invoke = func(w http.ResponseWriter, r *http.Request) {
				got = r
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}
			d := openDeployer(t, ep, "")
			act, err := d.Invoke(context.Background(), &driver.Invocation{Task: "t", Payload: []byte(`{"task":"t","input":1,"index":0}`)})
			if got == nil || got.URL.Path != "/2015-03-31/functions/overcast/invocations" || got.Header.Get("X-Amz-Log-Type") != "Tail" {
				t.Fatalf("request %v; want a RequestResponse invoke of overcast asking for the log tail", got)
			}
			if tt.code == driver.OK {
				if err != nil || string(act.Payload) != tt.body {
					t.Fatalf("Invoke = %v, %v; want payload %s", act, err, tt.body)
				}
				if act.MemoryMB != tt.memory || act.Billed <= 0 || (tt.billed != 0 && act.Billed != tt.billed) {
					t.Errorf("billed %v at %d MB, want %v at %d MB", act.Billed, act.MemoryMB, tt.billed, tt.memory)
				}
				return
			}
			if code := d.ErrorCode(err); code != tt.code || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("Invoke error = %v (code %v), want %v with %q", err, code, tt.code, tt.message)
			}
			var be driver.BilledError
			if errors.As(err, &be) && be.BilledDuration() != tt.billed {
				t.Errorf("billed %v, want %v", be.BilledDuration(), tt.billed)
			}
			if len(s.calls) != 1 {
				t.Errorf("%d requests; the SDK must not retry", len(s.calls))
			}
		})
	}
}

func TestInvokeUnreachable(t *testing.T) {
	d := openDeployer(t, "http://127.0.0.1:1", "")
	_, err := d.Invoke(context.Background(), &driver.Invocation{Task: "t", Payload: []byte(`{}`)})
	if code := d.ErrorCode(err); code != driver.Unreachable {
		t.Fatalf("Invoke on a closed port: %v (code %v), want unreachable", err, code)
	}
}

func TestInvokeTooLarge(t *testing.T) {
	s, ep := newStandIn(t)
	d := openDeployer(t, ep, "")
	_, err := d.Invoke(context.Background(), &driver.Invocation{Task: "t", Payload: make([]byte, maxPayload+1)})
	if code := d.ErrorCode(err); code != driver.InvalidArgument || !strings.Contains(err.Error(), "6 MB") || len(s.calls) != 0 {
		t.Fatalf("Invoke of 6 MB + 1 byte: %v (code %v), %d requests; want refused before sending", err, code, len(s.calls))
	}
}

func TestInvokeCanceledKeepsEndpointBusy(t *testing.T) {
	s, ep := newStandIn(t)
	release := make(chan struct{})
	s.invoke = func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte(envelope))
	}
	d := openDeployer(t, ep, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Invoke(ctx, &driver.Invocation{Payload: []byte(`{}`)})
		done <- err
	}()
	for range 500 { // wait until the invoke reached the server (up to 5 s)
		s.mu.Lock()
		n := len(s.calls)
		s.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; d.ErrorCode(err) != driver.Canceled {
		t.Fatalf("canceled Invoke = %v, want canceled", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := d.Invoke(short, &driver.Invocation{Payload: []byte(`{}`)}); d.ErrorCode(err) != driver.DeadlineExceeded {
		t.Fatalf("second Invoke while the endpoint is busy = %v, want it to wait until its deadline", err)
	}
	close(release)
	if act, err := d.Invoke(context.Background(), &driver.Invocation{Payload: []byte(`{}`)}); err != nil || string(act.Payload) != envelope {
		t.Fatalf("Invoke after the endpoint is free = %v, %v", act, err)
	}
}

// TestClassifyAgainstAWS checks the messages meant for AWS itself, where no
// endpoint is set and a 502 is the service's, not a crashed emulator's.
func TestClassifyAgainstAWS(t *testing.T) {
	d := &Driver{opts: &Options{Function: "f"}}
	tests := []struct {
		err     error
		body    []byte
		code    driver.ErrorCode
		message string
	}{
		{&smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Function not found"}, nil,
			driver.NotFound, "function f not found; run overcast deploy --backend lambda (ResourceNotFoundException: Function not found)"},
		{&smithy.GenericAPIError{Code: "TooManyRequestsException"}, nil, driver.ResourceExhausted, "throttled"},
		{&smithy.GenericAPIError{Code: "ResourceConflictException"}, nil, driver.Unavailable, "unavailable"},
		{&smithy.GenericAPIError{Code: "UnrecognizedClientException"}, nil, driver.PermissionDenied, "lambda:InvokeFunction on f"},
		{errors.New("get identity: failed to refresh cached credentials: refresh cached SSO token failed"), nil, driver.PermissionDenied, "AWS credentials could not be loaded: get identity"},
		{errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found"), nil, driver.PermissionDenied,
			"no AWS credentials found: looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), profile"},
		{context.Canceled, nil, driver.Canceled, "canceled"},
	}
	for _, tt := range tests {
		err := d.classify(tt.err, tt.body)
		if code := errorCode(err); code != tt.code || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("classify(%v) = %v (code %v), want %v with %q", tt.err, err, code, tt.code, tt.message)
		}
	}
}

// TestThrottleHints checks what a throttle tells the portable backend:
// Lambda's reason, whether it was of a rate, and its Retry-After, from the
// TooManyRequestsException or from the header of a bare 429.
func TestThrottleHints(t *testing.T) {
	tests := []struct {
		name      string
		header    map[string]string
		body      string
		reason    string
		perMinute bool
		wait      time.Duration
	}{
		{"concurrency with Retry-After", map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException", "Retry-After": "3"},
			`{"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`, "ConcurrentInvocationLimitExceeded", false, 3 * time.Second},
		{"reserved concurrency", map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"},
			`{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`, "ReservedFunctionConcurrentInvocationLimitExceeded", false, 0},
		{"caller rate", map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException", "Retry-After": "1"},
			`{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate Exceeded."}`, "CallerRateLimitExceeded", true, time.Second},
		{"function rate", map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"},
			`{"Reason":"FunctionInvocationRateLimitExceeded","Type":"User","message":"Rate Exceeded."}`, "FunctionInvocationRateLimitExceeded", true, 0},
		{"bare 429", map[string]string{"Retry-After": "2"}, `{"message":"slow down"}`, "", false, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ep := newStandIn(t)
			s.invoke = func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(429)
				w.Write([]byte(tt.body))
			}
			d := openDeployer(t, ep, "")
			_, err := d.Invoke(context.Background(), &driver.Invocation{Task: "t", Payload: []byte(`{"task":"t","input":1,"index":0}`)})
			var te driver.PerMinuteError
			if d.ErrorCode(err) != driver.ResourceExhausted || !errors.As(err, &te) {
				t.Fatalf("Invoke error = %v (code %v), want a throttle with hints", err, d.ErrorCode(err))
			}
			if te.RetryAfter() != tt.wait || te.PerMinute() != tt.perMinute || te.Limit() != 0 || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("throttle %q: Retry-After %v, per minute %v, limit %d; want %v, %v, 0 and the reason %q",
					err, te.RetryAfter(), te.PerMinute(), te.Limit(), tt.wait, tt.perMinute, tt.reason)
			}
		})
	}
}
