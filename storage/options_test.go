package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"golang.org/x/sync/errgroup"

	"github.com/overcast-sc/overcast/internal/s3test"
)

// keyedServer is a versitygw that accepts one pair of keys, and a bucket
// on it.
type keyedServer struct {
	id, secret string
	bucket     string
}

func (s keyedServer) options() Options {
	return Options{Credentials: credentials.NewStaticCredentialsProvider(s.id, s.secret, "")}
}

// startKeyed starts two versitygw servers with keys of their own, which
// the AWS chain of this process (the test keys) holds neither of.
func startKeyed(t *testing.T) (a, b keyedServer) {
	for i, s := range []*keyedServer{&a, &b} {
		s.id, s.secret = fmt.Sprintf("overcast-key-%c", 'a'+i), fmt.Sprintf("overcast-secret-%c", 'a'+i)
		s.bucket = s3test.StartWithKeys(t, s.id, s.secret).Bucket(t)
	}
	return a, b
}

// TestCredentialsSideBySide reaches two S3 servers with different keys
// from one process at once, each through the options its bucket opened
// with: explicitly (OpenWith, OpenURLWith) and carried by a context
// (Open, Shared).
func TestCredentialsSideBySide(t *testing.T) {
	a, b := startKeyed(t)
	ctx := context.Background()
	var g errgroup.Group
	for _, s := range []keyedServer{a, b} {
		g.Go(func() error { return roundTrip(ctx, s) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// roundTrip writes an object to the server's bucket and reads it back by
// each way of opening a bucket with options.
func roundTrip(ctx context.Context, s keyedServer) error {
	data := []byte("written with " + s.id)
	bk, err := OpenWith(ctx, s.bucket, s.options())
	if err != nil {
		return err
	}
	defer bk.Close()
	if err := bk.Put(ctx, "k", data); err != nil {
		return err
	}
	withKeys := WithOptions(ctx, s.options())
	obj, key, err := OpenURLWith(ctx, strings.Replace(s.bucket, "?", "/k?", 1), s.options())
	if err != nil {
		return err
	}
	defer obj.Close()
	opened, err := Open(withKeys, s.bucket)
	if err != nil {
		return err
	}
	defer opened.Close()
	sh, err := Shared(withKeys, s.bucket)
	if err != nil {
		return err
	}
	for name, read := range map[string]*Bucket{"OpenURLWith": obj, "Open": opened, "Shared": sh} {
		got, err := read.Get(ctx, key)
		if err != nil || string(got) != string(data) {
			return fmt.Errorf("%s of %s: read %q, %v; want %q", name, s.bucket, got, err, data)
		}
	}
	return nil
}

// TestWrongCredentialsFail opens each server's bucket with the other's
// keys, its own key with the other's secret, and with the AWS chain's:
// every request fails with an error that
// names the object and the server's refusal, and no secret.
func TestWrongCredentialsFail(t *testing.T) {
	a, b := startKeyed(t)
	ctx := context.Background()
	if err := roundTrip(ctx, a); err != nil {
		t.Fatal(err)
	}
	wrongSecret := keyedServer{id: a.id, secret: b.secret}
	for name, o := range map[string]Options{"other keys": b.options(), "wrong secret": wrongSecret.options(), "chain": {}} {
		bk, err := OpenWith(ctx, a.bucket, o)
		if err != nil {
			t.Fatalf("%s: open: %v", name, err)
		}
		defer bk.Close()
		_, err = bk.Get(ctx, "k")
		var se *Error
		if !errors.As(err, &se) || se.Op != "get" {
			t.Fatalf("%s: get: %v, want a storage error", name, err)
		}
		msg := err.Error()
		t.Logf("%s: %s", name, msg)
		if !strings.Contains(msg, "/k") || !strings.Contains(msg, "credentials") || Transient(ctx, err) {
			t.Errorf("%s: %q, want a final error naming the object and the credentials", name, msg)
		}
		if strings.Contains(msg, b.secret) || strings.Contains(msg, a.secret) {
			t.Errorf("%s: the error prints a secret: %q", name, msg)
		}
	}
}

// TestSharedBucketsKeepTheirOptions opens one bucket with the right keys
// and then with wrong ones: the second is not the first, cached.
func TestSharedBucketsKeepTheirOptions(t *testing.T) {
	a, b := startKeyed(t)
	ctx := context.Background()
	right, err := Shared(WithOptions(ctx, a.options()), a.bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := right.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	wrong, err := Shared(WithOptions(ctx, b.options()), a.bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Get(ctx, "k"); err == nil {
		t.Error("a bucket shared under other keys read with the first one's")
	}
	if _, err := right.Get(ctx, "k"); err != nil {
		t.Errorf("the bucket with the right keys: %v", err)
	}
}

// TestCheckChain asks the check before an s3 bucket opens with the AWS
// chain, and fails the open with its error; not with explicit credentials
// nor for other schemes.
func TestCheckChain(t *testing.T) {
	ctx := context.Background()
	asked := 0
	o := Options{CheckChain: func() error { asked++; return errors.New("no credentials here") }}
	u := s3test.BucketURL("b", "http://127.0.0.1:9")
	_, err := Open(WithOptions(ctx, o), u)
	if err == nil || !strings.Contains(err.Error(), "no credentials here") || asked != 1 {
		t.Fatalf("open with a failing check: %v (asked %d times), want its error", err, asked)
	}
	o.Credentials = credentials.NewStaticCredentialsProvider("id", "secret", "")
	bk, err := OpenWith(ctx, u, o)
	if err != nil {
		t.Fatalf("open with credentials: %v", err)
	}
	bk.Close()
	o.Credentials = nil
	fb, err := OpenWith(ctx, "file://"+t.TempDir(), o)
	if err != nil {
		t.Fatalf("open a file bucket: %v", err)
	}
	fb.Close()
	if asked != 1 {
		t.Errorf("the check was asked %d times, want once (s3 with the chain only)", asked)
	}
}
