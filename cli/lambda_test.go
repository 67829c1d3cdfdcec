package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/lambdathrottle"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

func TestLambdaURL(t *testing.T) {
	tests := []struct {
		name                                            string
		function, region, profile, endpoint, arch, role string
		memory                                          int
		timeout                                         time.Duration
		want                                            string
		usage                                           bool
	}{
		{name: "defaults", want: "lambda://?"},
		{name: "named", function: "overcast", want: "lambda://overcast?"},
		{name: "emulator", function: "function", endpoint: "http://127.0.0.1:9000",
			want: "lambda://function?endpoint=http%3A%2F%2F127.0.0.1%3A9000"},
		{name: "aws", function: "fn", region: "eu-west-1", profile: "dev", arch: "x86_64", role: "arn:aws:iam::1:role/r", memory: 512, timeout: time.Minute,
			want: "lambda://fn?arch=x86_64&memory=512&profile=dev&region=eu-west-1&role=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&timeout=60"},
		{name: "arn", function: "arn:aws:lambda:us-east-1:1:function:f",
			want: "lambda://?function=arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af"},
		{name: "bad arch", function: "f", arch: "mips", usage: true},
		{name: "small memory", function: "f", memory: 64, usage: true},
		{name: "fractional timeout", function: "f", timeout: 1500 * time.Millisecond, usage: true},
		{name: "long timeout", function: "f", timeout: time.Hour, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b backendFlags
			f := &b.lambda
			f.function, f.region, f.profile, f.arch, f.role = tt.function, tt.region, tt.profile, tt.arch, tt.role
			b.endpoint = tt.endpoint
			f.memory, f.timeout = tt.memory, tt.timeout
			got, err := b.url("lambda")
			if tt.usage {
				if exitCode(err) != exitUsage {
					t.Fatalf("lambdaURL() = %q, %v; want a usage error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("lambdaURL() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestLambdaEndToEnd serves the overcast binary as a Lambda function under
// the Runtime Interface Emulator and runs the README's command against it.
func TestLambdaEndToEnd(t *testing.T) {
	ep := startRIE(t, binary)
	args := []string{"--samples", "2000000", "--tasks", "10", "--seed", "7", "--no-progress"}
	got, stderr, code := runJSON(t, append([]string{"run", "pi", "--backend", "lambda", "--endpoint", ep}, args...)...)
	if code != 0 || got.Backend != "lambda" || got.Tasks != 10 || got.FailedTasks != 0 {
		t.Fatalf("lambda run: exit %d, %+v, stderr %s", code, got, stderr)
	}
	want, stderr, code := runJSON(t, append([]string{"run", "pi", "--backend", "local"}, args...)...)
	if code != 0 {
		t.Fatalf("local run: exit %d, stderr %s", code, stderr)
	}
	if got.Answer != want.Answer {
		t.Fatalf("lambda answer %v, local answer %v; same seed must give the same answer", got.Answer, want.Answer)
	}
}

// TestLambdaThrottledEndToEnd runs the README's command through a stand-in
// of Lambda's throttling that admits one invocation at a time into the
// emulator, reached as two endpoints so that the driver sends two: the
// refused ones (429 TooManyRequestsException, the first with a
// Retry-After) are retried and the job gives the local answer.
func TestLambdaThrottledEndToEnd(t *testing.T) {
	ep := startRIE(t, binary)
	th := lambdathrottle.New(1, []string{ep}, "1")
	defer th.Close()
	args := []string{"--samples", "2000000", "--tasks", "10", "--seed", "7", "--no-progress"}
	got, stderr, code := runJSON(t, append([]string{"run", "pi", "--backend", "lambda", "--endpoint", th.URL + "/a," + th.URL + "/b"}, args...)...)
	if code != 0 || got.Tasks != 10 || got.FailedTasks != 0 {
		t.Fatalf("throttled lambda run: exit %d, %+v, stderr %s", code, got, stderr)
	}
	// A throttle answering an attempt the scheduler had already given up
	// (a backup's twin finished first, so its request was canceled) is
	// counted by the stand-in but never reaches the run: the run reports
	// at most the stand-in's count, and at least one.
	if n := th.Throttles(); n == 0 || got.Throttled == 0 || got.Throttled > n {
		t.Errorf("the stand-in throttled %d invocations, the run reports %d throttles; want between 1 and %d", n, got.Throttled, n)
	}
	want, stderr, code := runJSON(t, append([]string{"run", "pi", "--backend", "local"}, args...)...)
	if code != 0 {
		t.Fatalf("local run: exit %d, stderr %s", code, stderr)
	}
	if got.Answer != want.Answer {
		t.Fatalf("throttled lambda answer %v, local answer %v; same seed must give the same answer", got.Answer, want.Answer)
	}
}

// startRIE runs the Lambda Runtime Interface Emulator with bootstrap as the
// function on free loopback ports and returns its endpoint. It skips the
// test when the emulator is not installed.
func startRIE(t *testing.T, bootstrap string) string {
	t.Helper()
	rie, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		out, _ := exec.Command("go", "env", "GOPATH").Output()
		rie = filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie")
		if _, err := os.Stat(rie); err != nil {
			testpeer.Skip(t, "aws-lambda-rie not installed; run .ci/install-rie")
		}
	}
	addr, api := freeLoopback(t), freeLoopback(t)
	cmd := exec.Command(rie, "--log-level", "error", "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	ep := "http://" + addr
	for range 200 { // up to 10 s
		if resp, err := http.Get(ep + "/"); err == nil {
			resp.Body.Close()
			return ep
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("aws-lambda-rie on %s did not answer within 10 s", addr)
	return ""
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(fmt.Errorf("no free loopback port: %w", err))
	}
	defer l.Close()
	return l.Addr().String()
}
