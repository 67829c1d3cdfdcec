package s3test

import (
	"bytes"
	"context"
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
