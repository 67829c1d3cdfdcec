package storage

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"

	"gocloud.dev/gcerrors"
)

// Error is a failed storage request of Overcast's own: the operation, the
// object's URL (redacted) and the cause, whose gcerrors code it keeps.
type Error struct {
	Op     string // get, put, remove, list
	Object string // bucket URL and key, redacted
	Err    error
}

func (e *Error) Error() string {
	if code, msg, ok := refusedCredentials(e.Err); ok {
		return fmt.Sprintf("storage %s %s: the server refused the credentials: %s: %s", e.Op, e.Object, code, msg)
	}
	if missingCredentials(e.Err) {
		return fmt.Sprintf("storage %s %s: %s", e.Op, e.Object, noCredentials())
	}
	if IsNotFound(e.Err) {
		return fmt.Sprintf("storage %s %s: no such object", e.Op, e.Object)
	}
	return fmt.Sprintf("storage %s %s: %v", e.Op, e.Object, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// credentialCodes are the S3 error codes of a server that does not take
// a request's credentials: an unknown access key (versitygw says
// XAdminUserNotFound), a wrong secret, an expired or bad session token.
var credentialCodes = map[string]bool{
	"InvalidAccessKeyId": true, "SignatureDoesNotMatch": true, "XAdminUserNotFound": true,
	"ExpiredToken": true, "InvalidToken": true, "TokenRefreshRequired": true,
}

// refusedCredentials returns the code and message of an S3 error that
// refuses the request's credentials.
func refusedCredentials(err error) (code, msg string, ok bool) {
	var api smithy.APIError
	if !errors.As(err, &api) || !credentialCodes[api.ErrorCode()] {
		return "", "", false
	}
	return api.ErrorCode(), api.ErrorMessage(), true
}

// missingCredentials reports an S3 request the SDK could not sign because
// its credential chain ran out: the last link, the instance role, is off
// or absent. The SDK says so only in words.
func missingCredentials(err error) bool {
	s := err.Error()
	return (strings.Contains(s, "get identity") || strings.Contains(s, "retrieve credentials")) && strings.Contains(s, "EC2 IMDS")
}

// noCredentials says where the AWS chain looks for credentials, in its
// order, in one line without the SDK's chain.
func noCredentials() string {
	profile := cmp.Or(os.Getenv("AWS_PROFILE"), "default")
	creds := cmp.Or(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), config.DefaultSharedCredentialsFilename())
	conf := cmp.Or(os.Getenv("AWS_CONFIG_FILE"), config.DefaultSharedConfigFilename())
	return fmt.Sprintf("no AWS credentials found: looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "+
		"profile %q (AWS_PROFILE) in %s and %s with its SSO login (aws sso login), and the EC2/ECS instance role", profile, creds, conf)
}

// IsNotFound reports whether err says an object or bucket does not exist.
func IsNotFound(err error) bool {
	return err != nil && gcerrors.Code(err) == gcerrors.NotFound
}

// errorf wraps err as an Error of op on key in b, or returns nil.
func (b *Bucket) errorf(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Op: op, Object: objectName(b.URL, key), Err: err}
}

// objectName names an object for messages: the bucket's redacted URL with
// the key as its path.
func objectName(bucketURL, key string) string {
	u, err := url.Parse(Redact(bucketURL))
	if err != nil {
		return key
	}
	switch {
	case key == "":
	case u.Scheme == "file":
		u.Path += "/" + key
	default:
		u.Path = "/" + key
	}
	u.RawQuery = "" // an endpoint says where, not which object
	return u.String()
}

// Redact returns a storage URL safe to print and to record: no user
// information (user:password@) in the URL or in its endpoint parameter.
// Overcast's URLs carry no credentials (those come from the AWS chain), but
// a user may still write one into an endpoint.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable storage URL)"
	}
	u.User = nil
	q := u.Query()
	if ep := q.Get("endpoint"); ep != "" {
		if e, err := url.Parse(ep); err == nil && e.User != nil {
			e.User = nil
			q.Set("endpoint", e.String())
			u.RawQuery = q.Encode()
		} else if err != nil {
			q.Set("endpoint", "(unparsable)")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

var errEmptyPrefix = errors.New("refusing to remove every object of the bucket (empty prefix)")
