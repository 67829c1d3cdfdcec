// Package storage opens the object storage that carries a job's data:
// inputs partitioned into tasks, intermediate shuffle objects, outputs,
// and payloads too big for a platform's request or answer.
//
// Buckets are named by URL and opened with gocloud.dev/blob:
//
//	file:///path/to/dir                      a local directory, objects as plain files
//	mem://name                               memory of this process, shared by name (tests)
//	s3://bucket?endpoint=URL&region=R&use_path_style=true
//	                                         AWS S3 or any S3-compatible server
//
// S3 credentials come from the usual AWS chain (environment, shared files,
// instance roles), or from Options passed where a bucket opens (OpenWith,
// or a context made by WithOptions), and are never printed.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
)

// Bucket is an open bucket and the URL that opens it again, in another
// process (a worker) as in this one.
type Bucket struct {
	*blob.Bucket
	// URL opens the same bucket with Open. It holds no credential.
	URL     string
	shared  bool
	backoff Backoff
	// s3 deletes an S3 bucket's objects without gocloud's check that
	// each exists (see remove); nil for other buckets.
	s3 *s3Deleter
}

// Close releases the bucket. A mem bucket lives as long as the process,
// so that every Open of its name sees the same objects.
func (b *Bucket) Close() error {
	if b.shared {
		return nil
	}
	return b.Bucket.Close()
}

var (
	memMu      sync.Mutex
	memBuckets = map[string]*blob.Bucket{}
)

// Open opens the bucket a URL names with the options ctx carries (see
// WithOptions), making a file bucket's directory when it is missing. The
// caller closes it.
func Open(ctx context.Context, bucketURL string) (*Bucket, error) {
	return OpenWith(ctx, bucketURL, OptionsFrom(ctx))
}

// OpenWith opens the bucket a URL names with the given options, as Open
// does.
func OpenWith(ctx context.Context, bucketURL string, o Options) (*Bucket, error) {
	u, err := parse(bucketURL)
	if err != nil {
		return nil, err
	}
	if p := strings.Trim(u.Path, "/"); p != "" && u.Scheme != "file" {
		return nil, fmt.Errorf("storage %s: a bucket URL has no path, got /%s", Redact(bucketURL), p)
	}
	if u.Scheme == "mem" {
		b := openMem(u)
		b.backoff = o.Backoff
		return b, nil
	}
	if err := o.checkOpen(u.Scheme, bucketURL); err != nil {
		return nil, err
	}
	b, err := openBlob(ctx, u, &o)
	if err != nil {
		return nil, fmt.Errorf("open storage %s: %w", Redact(bucketURL), err)
	}
	return &Bucket{Bucket: b, URL: bucketURL, backoff: o.Backoff, s3: newS3Deleter(b, u)}, nil
}

// openBlob opens a file or s3 bucket, the latter with the options'
// credentials, through gocloud's URL handling (its prefix and key
// parameters, its check of the others).
func openBlob(ctx context.Context, u *url.URL, o *Options) (*blob.Bucket, error) {
	openURL := u.String()
	if u.Scheme == "file" {
		if err := os.MkdirAll(u.Path, 0o755); err != nil {
			return nil, err
		}
		openURL = plainFiles(u)
	}
	m := new(blob.URLMux)
	m.RegisterBucket(fileblob.Scheme, &fileblob.URLOpener{})
	m.RegisterBucket(s3blob.Scheme, s3Opener{creds: o.Credentials})
	return m.OpenBucket(ctx, openURL)
}

// plainFiles returns a file bucket's URL set to write objects as plain
// files, unless it sets gocloud's metadata parameter itself: no sidecar
// .attrs file of metadata next to each, and so no MD5 of every byte
// written, which cost as much CPU as a sort's own work.
func plainFiles(u *url.URL) string {
	q := u.Query()
	if q.Has("metadata") {
		return u.String()
	}
	q.Set("metadata", "skip")
	v := *u
	v.RawQuery = q.Encode()
	return v.String()
}

// ErrBadURL is what the error of a storage URL that is not one (no scheme,
// an unknown scheme, credentials in it) wraps: a mistake in how a command
// was called, not a failure of the storage.
var ErrBadURL = errors.New("bad storage URL")

// urlError is an error of a storage URL; it is ErrBadURL.
type urlError struct{ msg string }

func (e *urlError) Error() string        { return e.msg }
func (e *urlError) Is(target error) bool { return target == ErrBadURL }

func badURL(format string, args ...any) error {
	return &urlError{fmt.Sprintf(format, args...)}
}

func parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, badURL("storage %q: want a URL such as file:///dir, mem://name or s3://bucket", Redact(raw))
	}
	switch u.Scheme {
	case "file", "mem", "s3":
	default:
		return nil, badURL("storage %q: unknown scheme %q (want file, mem or s3)", Redact(raw), u.Scheme)
	}
	if hasUserinfo(u) {
		return nil, badURL("storage %s: credentials in the URL are not used; remove user:password@ and give them the AWS way (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role)", Redact(raw))
	}
	return u, nil
}

// hasUserinfo reports whether a storage URL or its endpoint parameter
// carries user:password@.
func hasUserinfo(u *url.URL) bool {
	if u.User != nil {
		return true
	}
	ep, err := url.Parse(u.Query().Get("endpoint"))
	return err == nil && ep.User != nil
}

func openMem(u *url.URL) *Bucket {
	memMu.Lock()
	defer memMu.Unlock()
	b, ok := memBuckets[u.Host]
	if !ok {
		b = memblob.OpenBucket(nil)
		memBuckets[u.Host] = b
	}
	return &Bucket{Bucket: b, URL: "mem://" + u.Host, shared: true}
}

// OpenURL opens the bucket of an object or prefix URL and returns the key
// it names within it:
//
//	s3://bucket/data/part-0?endpoint=...   bucket s3://bucket?endpoint=..., key data/part-0
//	mem://name/data/                       bucket mem://name, key data/
//	file:///srv/data/text.txt              bucket file:///srv/data, key text.txt
//	file:///srv/data                       bucket file:///srv/data, key "" (an existing directory)
//	file:///srv/out/                       bucket file:///srv/out (made if missing), key ""
//
// A key ending in "/" or empty names a prefix. The bucket opens with the
// options ctx carries (see WithOptions).
func OpenURL(ctx context.Context, raw string) (*Bucket, string, error) {
	return OpenURLWith(ctx, raw, OptionsFrom(ctx))
}

// OpenURLWith opens the bucket of an object or prefix URL with the given
// options, as OpenURL does.
func OpenURLWith(ctx context.Context, raw string, o Options) (*Bucket, string, error) {
	u, err := parse(raw)
	if err != nil {
		return nil, "", err
	}
	var bucketURL, key string
	switch u.Scheme {
	case "file":
		dir, base := fileSplit(u.Path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, "", fmt.Errorf("storage %s: %w", Redact(raw), err)
		}
		bucketURL, key = (&url.URL{Scheme: "file", Path: dir, RawQuery: u.RawQuery}).String(), base
	default:
		key = strings.TrimPrefix(u.Path, "/")
		bucketURL = (&url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}).String()
	}
	b, err := OpenWith(ctx, bucketURL, o)
	if err != nil {
		return nil, "", err
	}
	return b, key, nil
}

// fileSplit splits a file path into the directory that serves as the
// bucket and the key of the object in it.
func fileSplit(p string) (dir, key string) {
	clean := filepath.Clean(p)
	if strings.HasSuffix(p, "/") {
		return clean, ""
	}
	if fi, err := os.Stat(clean); err == nil && fi.IsDir() {
		return clean, ""
	}
	return filepath.Dir(clean), path.Base(clean)
}

// JobPrefix is the prefix of every object of a job's data in its bucket:
// "overcast/<job-id>/". Removing it (Bucket.RemoveAll) cleans the job up.
func JobPrefix(jobID string) string {
	return "overcast/" + jobID + "/"
}
