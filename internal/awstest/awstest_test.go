package awstest

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

func TestIsolate(t *testing.T) {
	t.Setenv("AWS_PROFILE", "someones-real-profile")
	t.Setenv("AWS_ENDPOINT_URL", "https://example.com")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	Isolate()
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%q survived Isolate", k, v)
		}
	}
	if v := os.Getenv("AWS_EC2_METADATA_DISABLED"); v != "true" {
		t.Errorf("AWS_EC2_METADATA_DISABLED=%q, want true", v)
	}
	// The SDK's default chain now resolves the test keys from the
	// environment without asking anything off this machine.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "overcast-test-key" || creds.Source != "EnvConfigCredentials" || cfg.Region != "us-east-1" {
		t.Errorf("credentials %q from %q, region %q", creds.AccessKeyID, creds.Source, cfg.Region)
	}
}
