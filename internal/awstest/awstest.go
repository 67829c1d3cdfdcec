// Package awstest keeps tests that touch the AWS SDK off the network: with
// no credentials set, the SDK's default chain asks the EC2 instance
// metadata address, and a developer's profile can send it to a real
// account. Tests call Isolate from TestMain, before any test runs, so that
// the SDK in the test process and every program the tests start with the
// test's environment see only explicit test credentials.
package awstest

import (
	"os"
	"strings"
)

// The test keys of Env. Test S3 servers (internal/s3test) accept them.
const (
	accessKeyID     = "overcast-test-key"
	secretAccessKey = "overcast-test-secret"
)

// Keys returns the access key id and secret key of Env.
func Keys() (id, secret string) {
	return accessKeyID, secretAccessKey
}

// Env is the AWS environment tests run with: instance metadata off, test
// keys, a region, and no shared config or credentials files.
var Env = []string{
	"AWS_EC2_METADATA_DISABLED=true",
	"AWS_ACCESS_KEY_ID=" + accessKeyID,
	"AWS_SECRET_ACCESS_KEY=" + secretAccessKey,
	"AWS_REGION=us-east-1",
	"AWS_CONFIG_FILE=" + os.DevNull,
	"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
}

// Isolate removes every AWS_ variable from this process's environment
// (a profile, a session token, an endpoint override) and sets Env.
func Isolate() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	for _, kv := range Env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}
