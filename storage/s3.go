package storage

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// s3Opener opens s3:// URLs as s3blob's opener does, with the S3 client
// set for Overcast: it does not print a line to stderr for every ranged
// read that comes back without a whole-object checksum (S3 sends none
// for ranges), which partitioned inputs make by the thousand.
//
// Its parameters are s3blob's path-style and HTTPS switches and every
// parameter of gocloud.dev/aws.V2ConfigFromURLParams (endpoint, region,
// profile, ...); another one fails the open with an error naming it.
// Credentials, when set, sign its requests in place of the AWS chain.
type s3Opener struct {
	creds aws.CredentialsProvider
}

// s3Switches are the boolean parameters s3Opener reads itself.
var s3Switches = []string{"use_path_style", "s3ForcePathStyle", "disable_https"}

func (op s3Opener) OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	q := u.Query()
	on := map[string]bool{}
	for _, k := range s3Switches {
		if v := q.Get(k); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("parameter %s=%q: want true or false", k, v)
			}
			on[k] = b
			q.Del(k)
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, err
	}
	if op.creds != nil {
		cfg.Credentials = aws.NewCredentialsCache(op.creds)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = on["use_path_style"] || on["s3ForcePathStyle"]
		o.EndpointOptions.DisableHTTPS = on["disable_https"]
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	opts := &s3blob.Options{RequestChecksumCalculation: cfg.RequestChecksumCalculation}
	return s3blob.OpenBucket(ctx, client, u.Host, opts)
}

// s3Deleter deletes objects of an S3 bucket with the client gocloud's
// bucket holds.
type s3Deleter struct {
	client *s3.Client
	bucket string
}

// newS3Deleter returns the deleter of b, an S3 bucket opened from u, or
// nil for another bucket or one whose keys gocloud prefixes (its prefix=
// and key= parameters).
func newS3Deleter(b *blob.Bucket, u *url.URL) *s3Deleter {
	q := u.Query()
	var client *s3.Client
	if u.Scheme != s3blob.Scheme || q.Has("prefix") || q.Has("key") || !b.As(&client) {
		return nil
	}
	return &s3Deleter{client: client, bucket: u.Host}
}

// plain reports whether gocloud sends key to S3 as it is: valid UTF-8
// with no control character, no "../" and nothing that looks like
// gocloud's hex escape "__0x". Other keys are deleted through gocloud,
// which escapes them.
func (d *s3Deleter) plain(key string) bool {
	if !utf8.ValidString(key) || strings.Contains(key, "../") || strings.Contains(key, "__0x") {
		return false
	}
	for _, r := range key {
		if r < 32 {
			return false
		}
	}
	return key != ""
}

// deleteBatch is the most keys one DeleteObjects request takes.
const deleteBatch = 1000

// deleteMany deletes keys, at most deleteBatch plain ones, with one
// DeleteObjects request in quiet mode, which names only the keys it
// could not delete; a missing key is deleted already.
func (d *s3Deleter) deleteMany(ctx context.Context, keys []string) error {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	out, err := d.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(d.bucket),
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
	if err != nil {
		return err
	}
	for _, e := range out.Errors {
		if aws.ToString(e.Code) != "NoSuchKey" {
			return fmt.Errorf("delete %s: %s: %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}

// delete sends one DeleteObject, which succeeds for a missing key too.
func (d *s3Deleter) delete(ctx context.Context, key string) error {
	_, err := d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(key)})
	return err
}
