package lambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// loadConfig resolves the AWS configuration: the standard chain with the
// region and profile overrides, SDK retries off, and an HTTP transport
// that keeps idle connections for conns invocations in flight. Against
// endpoints it needs no real credentials: emulators accept any.
// It returns the HTTP client too, for probing endpoints.
func loadConfig(ctx context.Context, o *Options, conns int) (aws.Config, aws.HTTPClient, error) {
	var hc aws.HTTPClient = o.HTTPClient
	if o.HTTPClient == nil {
		hc = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = conns + 16
			tr.MaxIdleConnsPerHost = conns + 1
		})
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithRetryMaxAttempts(1),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if len(o.Endpoints) > 0 {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		if o.Credentials == nil && o.Profile == "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("overcast", "overcast", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if len(o.Endpoints) == 0 {
			return cfg, nil, errors.New("no AWS region: set --region, AWS_REGION or a profile's region")
		}
		cfg.Region = "us-east-1" // signing needs one; emulators ignore it
	}
	return cfg, hc, nil
}

// newClient returns a Lambda client, aimed at endpoint when it is set.
func newClient(cfg aws.Config, endpoint string) *lambda.Client {
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.RetryMaxAttempts = 1
		o.APIOptions = append(o.APIOptions, captureErrorBody, boundAnswer)
	})
}

// errorBodyKey is the context key under which Invoke leaves a *[]byte for
// the body of a 5xx answer: an emulator's 502 for a crashed runtime says
// what happened in a body the SDK's error decoder does not read.
type errorBodyKey struct{}

const maxErrorBody = 64 << 10

// captureErrorBody adds a middleware next to the transport that copies the
// body of a 5xx answer to the holder in the context, leaving the body
// readable for the SDK's own error decoder.
func captureErrorBody(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("OvercastErrorBody",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			holder, _ := ctx.Value(errorBodyKey{}).(*[]byte)
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if err != nil || holder == nil || !ok || resp.StatusCode < 500 {
				return out, md, err
			}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			resp.Body.Close()
			*holder = b
			resp.Body = io.NopCloser(bytes.NewReader(b))
			return out, md, err
		}), middleware.After)
}

// maxAnswer bounds the bytes read of any answer: Lambda sends at most its
// payload limit, and a peer that sends more must not fill memory.
const maxAnswer = maxPayload + 64<<10

var errAnswerTooLarge = fmt.Errorf("answer over %d bytes", maxAnswer)

// boundAnswer adds a middleware next to the transport that makes reading
// an answer's body past maxAnswer bytes fail with errAnswerTooLarge.
func boundAnswer(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("OvercastBoundAnswer",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
				resp.Body = &boundedBody{rc: resp.Body, left: maxAnswer}
			}
			return out, md, err
		}), middleware.After)
}

// boundedBody reads at most left bytes of rc, then fails once, and then
// reads as empty (so that the SDK's draining of the rest does not warn).
type boundedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n - 1, errAnswerTooLarge
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
