package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options configure how a bucket is opened and how Overcast's own requests
// to it retry. The zero value opens s3:// buckets with the AWS credential
// chain (environment, shared files, instance roles) and retries as
// Backoff's documentation says.
//
// Options stay in the process that opens the bucket: a bucket's URL never
// holds them, so they reach neither task payloads nor journals. Tasks that
// run in this process (the local backend) get the options of the context
// their job runs with (see WithOptions); workers on a platform get their
// credentials from it, as before (an OpenWhisk action deployed with
// --storage-credentials, a Lambda function's role).
type Options struct {
	// Credentials sign the requests to s3:// buckets in place of the AWS
	// chain, e.g. credentials.NewStaticCredentialsProvider(id, secret, "")
	// of github.com/aws/aws-sdk-go-v2/credentials. Nil means the chain.
	Credentials aws.CredentialsProvider
	// CheckChain, when set, is asked before an s3:// bucket opens with the
	// AWS chain (Credentials nil), and its error fails the open. A worker
	// whose platform hands it no credentials says so at once with it,
	// rather than let the SDK search the chain and fail each request with
	// a long message.
	CheckChain func() error
	// Backoff is how Overcast's own requests retry transient failures;
	// zero Attempts means up to 10 tries, waiting up to about 30 s in all.
	Backoff Backoff
}

type optionsKey struct{}

// WithOptions returns a context that carries o to the code that opens
// buckets with it: Open, OpenURL and Shared, in the driver and in the
// tasks a job runs in this process. Two jobs run with two such contexts
// reach their buckets with their own credentials, side by side. Shared
// keeps a bucket open per URL and per call of WithOptions with
// credentials: make one such context per set of credentials and reuse it,
// not one per job.
func WithOptions(ctx context.Context, o Options) context.Context {
	return context.WithValue(ctx, optionsKey{}, &o)
}

// OptionsFrom returns the options ctx carries (see WithOptions), or the
// zero Options.
func OptionsFrom(ctx context.Context) Options {
	if o := optionsIn(ctx); o != nil {
		return *o
	}
	return Options{}
}

// optionsIn returns the options ctx carries, or nil.
func optionsIn(ctx context.Context) *Options {
	o, _ := ctx.Value(optionsKey{}).(*Options)
	return o
}

// checkOpen runs the options' check of the AWS chain before an s3:// bucket
// opens with it.
func (o *Options) checkOpen(scheme, bucketURL string) error {
	if scheme != "s3" || o.Credentials != nil || o.CheckChain == nil {
		return nil
	}
	if err := o.CheckChain(); err != nil {
		return fmt.Errorf("open storage %s: %w", Redact(bucketURL), err)
	}
	return nil
}

// sharedKey names a bucket Shared opened: its URL and, when they are not
// the chain's, the options (by the identity WithOptions gave them, since
// a credentials provider need not be comparable).
type sharedKey struct {
	url  string
	opts *Options
}

var shared struct {
	sync.Mutex
	m map[sharedKey]*Bucket
}

// Shared returns the bucket a URL names, opened with the options ctx
// carries once per process (per URL and WithOptions) and kept open for
// the tasks that run in it: a worker serves many tasks of a job, and
// opening an S3 bucket reads the AWS configuration. Closing it does
// nothing.
func Shared(ctx context.Context, bucketURL string) (*Bucket, error) {
	o := optionsIn(ctx)
	k := sharedKey{url: bucketURL}
	if o != nil && (o.Credentials != nil || o.Backoff != (Backoff{})) {
		k.opts = o
	}
	shared.Lock()
	defer shared.Unlock()
	if b, ok := shared.m[k]; ok {
		return b, nil
	}
	b, err := Open(ctx, bucketURL)
	if err != nil {
		return nil, err
	}
	b.shared = true
	if shared.m == nil {
		shared.m = map[sharedKey]*Bucket{}
	}
	shared.m[k] = b
	return b, nil
}
