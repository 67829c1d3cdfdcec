package cli

import (
	"os"
	"strings"
	"testing"
)

// noCredentialsEnv is this process's environment without AWS keys, with
// the shared files empty and instance metadata off, and with every proxy
// a dead loopback port: a request that left the machine would fail here.
func noCredentialsEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "AWS_") && !strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_CONFIG_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1", "OVERCAST_JOURNAL=off",
		"HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1", "HOME="+t.TempDir())
}

// TestLambdaWithoutCredentials says in one line that no credentials were
// found and where they were looked for, not that AWS refused a request.
func TestLambdaWithoutCredentials(t *testing.T) {
	env := noCredentialsEnv(t)
	for _, args := range [][]string{
		{"undeploy", "--backend", "lambda"},
		{"run", "pi", "--backend", "lambda", "--no-deploy", "--tasks", "1", "--samples", "10", "--max-attempts", "1", "--no-progress"},
	} {
		_, stderr, code := runIn(t, binary, t.TempDir(), env, args...)
		if code != 1 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line", args, code, stderr)
		}
		for _, want := range []string{"no AWS credentials found", "AWS_ACCESS_KEY_ID", `profile "default"`, os.DevNull, "SSO", "instance role"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr %q lacks %q", args, stderr, want)
			}
		}
		for _, wrong := range []string{"refused", "docs/lambda.md", "IMDS", "operation error"} {
			if strings.Contains(stderr, wrong) {
				t.Errorf("%v: stderr %q says %q", args, stderr, wrong)
			}
		}
	}
}
