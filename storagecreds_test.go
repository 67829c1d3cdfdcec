package overcast_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"golang.org/x/sync/errgroup"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/internal/s3test"
	"github.com/overcast-sc/overcast/storage"
)

// objectRead asks test/read-object for an object of a bucket, and carries
// a padding that makes the input travel through the job's storage.
type objectRead struct {
	Bucket, Key string
	Pad         []byte
}

func init() {
	// test/read-object answers with the object's bytes and the padding's
	// length, read with the storage options its job runs with.
	overcast.Register("test/read-object", func(ctx context.Context, in objectRead) (string, error) {
		b, err := overcast.OpenBucket(ctx, in.Bucket)
		if err != nil {
			return "", err
		}
		data, err := b.Get(ctx, in.Key)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s+%d", data, len(in.Pad)), nil
	})
}

// keyedBucket is a bucket on a versitygw that takes only its own keys.
type keyedBucket struct {
	url  string
	opts storage.Options
}

func startKeyedBucket(t *testing.T, id, secret string) keyedBucket {
	u := s3test.StartWithKeys(t, id, secret).Bucket(t)
	return keyedBucket{url: u, opts: storage.Options{Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}}
}

// TestJobsWithTheirOwnStorageCredentials runs two jobs at once in one
// process, each with its own S3 server and keys (the AWS chain's test
// keys open neither): the driver offloads inputs over the local backend's
// payload limit to the job's storage, and the tasks read them and their
// data from it, every open with the options of the context the job runs
// with. A job whose tasks read the other server's bucket with their own
// keys fails with an error that says the credentials were refused.
func TestJobsWithTheirOwnStorageCredentials(t *testing.T) {
	for _, kv := range s3test.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	a := startKeyedBucket(t, "overcast-key-a", "overcast-secret-a")
	b := startKeyedBucket(t, "overcast-key-b", "overcast-secret-b")
	ctx := context.Background()
	var g errgroup.Group
	for _, kb := range []keyedBucket{a, b} {
		g.Go(func() error {
			outs, err := runKeyedJob(storage.WithOptions(ctx, kb.opts), kb.url, kb.url)
			if err != nil {
				return fmt.Errorf("job on %s: %w", kb.url, err)
			}
			for i, got := range outs {
				if want := fmt.Sprintf("hello from %s+%d", kb.url, padding(i)); got != want {
					return fmt.Errorf("job on %s: task %d answered %q, want %q", kb.url, i, got, want)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	_, err := runKeyedJob(storage.WithOptions(ctx, b.opts), b.url, a.url)
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") || strings.Contains(err.Error(), "overcast-secret") {
		t.Fatalf("a job with another server's keys: %v; want a failure saying the credentials were refused", err)
	}
}

// padding is the padding of task i: the second task's is over the
// payload limit.
func padding(i int) int {
	if i == 1 {
		return 100 << 10
	}
	return 10
}

// runKeyedJob writes the object the tasks read to the data bucket, when
// it is the job's storage, and runs three test/read-object tasks.
func runKeyedJob(ctx context.Context, store, bucket string) ([]string, error) {
	if store == bucket {
		bk, err := storage.Open(ctx, bucket)
		if err != nil {
			return nil, err
		}
		defer bk.Close()
		if err := bk.Put(ctx, "greeting", []byte("hello from "+bucket)); err != nil {
			return nil, err
		}
	}
	ex, err := overcast.NewExecutor(ctx, limitedBackend, &overcast.Options{Storage: store, MaxAttempts: 1})
	if err != nil {
		return nil, err
	}
	defer ex.Close()
	ins := make([]objectRead, 3)
	for i := range ins {
		ins[i] = objectRead{Bucket: bucket, Key: "greeting", Pad: bytes.Repeat([]byte("p"), padding(i))}
	}
	return overcast.Map[objectRead, string](ctx, ex, "test/read-object", ins).Wait(ctx)
}
