package openwhisk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
)

// CredentialsAnnotation holds a SHA-256 of the storage credentials the
// action was deployed with (never the credentials), so that a deploy with
// other credentials, or none, replaces the action.
const CredentialsAnnotation = "overcast-storage-credentials-sha256"

// CredentialsFlag is the command-line switch that gives the action the
// driver's storage credentials; workers without them name it.
const CredentialsFlag = "--storage-credentials"

// loadCredentials returns the driver's AWS credentials from the usual
// chain; tests replace it.
var loadCredentials = func(ctx context.Context) (map[string]string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("no credentials found")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey}
	if c.SessionToken != "" {
		env["AWS_SESSION_TOKEN"] = c.SessionToken
	}
	if cfg.Region != "" {
		env["AWS_REGION"] = cfg.Region
	}
	return env, nil
}

// credentialKeys are the init parameters, in the order they are deployed.
var credentialKeys = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"}

// storageParameters returns the action's init parameters holding the
// driver's AWS credentials and the hash that identifies them.
func storageParameters(ctx context.Context) ([]KeyValue, string, error) {
	env, err := loadCredentials(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s: no AWS credentials to give the action: %w", CredentialsFlag, err)
	}
	if env["AWS_ACCESS_KEY_ID"] == "" || env["AWS_SECRET_ACCESS_KEY"] == "" {
		return nil, "", fmt.Errorf("%s: the AWS credentials found have no access key or secret", CredentialsFlag)
	}
	var kvs []KeyValue
	h := sha256.New()
	for _, k := range credentialKeys {
		v, ok := env[k]
		if !ok {
			continue
		}
		b, _ := json.Marshal(v)
		kvs = append(kvs, KeyValue{Key: k, Value: b, Init: true})
		fmt.Fprintf(h, "%s=%q\n", k, v)
	}
	return kvs, hex.EncodeToString(h.Sum(nil)), nil
}
