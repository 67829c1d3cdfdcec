// Package storage opens the object storage that carries a job's data:
// inputs partitioned into tasks, intermediate shuffle objects, outputs,
// and payloads too big for a platform's request or answer.
//
// Buckets are named by URL and opened with gocloud.dev/blob:
//
//	file:///path/to/dir                      a local directory (tests, one machine)
//	mem://                                   memory of this process (tests)
//	s3://bucket?endpoint=URL&region=R&use_path_style=true
//	                                         AWS S3 or any S3-compatible server
//
// S3 credentials come from the usual AWS chain (environment, shared files,
// instance roles) and are never printed.
package storage

import (
	"context"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	// The schemes Open serves.
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)

// Open opens the bucket a URL names. The caller closes it.
func Open(ctx context.Context, bucketURL string) (*blob.Bucket, error) {
	u, err := url.Parse(bucketURL)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("storage %q: want a URL such as file:///dir, mem:// or s3://bucket", bucketURL)
	}
	switch u.Scheme {
	case "file", "mem", "s3":
	default:
		return nil, fmt.Errorf("storage %q: unknown scheme %q (want file, mem or s3)", bucketURL, u.Scheme)
	}
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", u.Redacted(), err)
	}
	return b, nil
}
