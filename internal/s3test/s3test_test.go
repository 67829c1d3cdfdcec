package s3test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/goleak"

	"github.com/overcast-sc/overcast/internal/awstest"
)

func TestMain(m *testing.M) {
	awstest.Isolate()
	goleak.VerifyTestMain(m)
}

// TestServerStoresObjectsInBucketFolders writes through the S3 API with
// the test keys and finds the object as a file in the bucket's folder.
func TestServerStoresObjectsInBucketFolders(t *testing.T) {
	s := Start(t)
	s.Bucket(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
	})
	entries, err := os.ReadDir(s.Dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("server dir holds %v, %v; want one bucket folder", entries, err)
	}
	bucket := entries[0].Name()
	body := []byte("hello versitygw")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("a/b"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir, bucket, "a", "b"))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("object file holds %q, %v; want %q", got, err, body)
	}
}

func TestBucketURL(t *testing.T) {
	got := BucketURL("b", "http://127.0.0.1:9")
	want := "s3://b?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=us-east-1&use_path_style=true"
	if got != want {
		t.Errorf("BucketURL = %q, want %q", got, want)
	}
}

// TestCounterCountsWhatCrossesTheWire writes, reads, lists, heads and
// deletes an object through the counting proxy with the SDK and finds
// each request counted once under its kind, and at least the object's
// bytes each way.
func TestCounterCountsWhatCrossesTheWire(t *testing.T) {
	c := Start(t).Counter(t)
	u, err := url.Parse(c.Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	bucket := u.Host
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(c.Endpoint)
		o.UsePathStyle = true
	})
	body := bytes.Repeat([]byte("0123456789"), 10000)
	key := aws.String("a/b")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes back (%v), want %d", len(got), err, len(body))
	}
	if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: key}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: key}); err != nil {
		t.Fatal(err)
	}
	n := c.Take()
	if n.Puts != 1 || n.Gets != 1 || n.Lists != 1 || n.Heads != 1 || n.Deletes != 1 || n.Requests() != 5 {
		t.Errorf("counted %+v, want one request of each kind", n)
	}
	if n.Sent < int64(len(body)) || n.Received < int64(len(body)) {
		t.Errorf("counted %d bytes sent and %d received, want at least %d each", n.Sent, n.Received, len(body))
	}
	if again := c.Take(); again != (Counts{}) {
		t.Errorf("Take after Take = %+v, want zero", again)
	}
}
