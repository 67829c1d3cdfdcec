// Package s3test runs a real S3 server for tests: versitygw, the S3
// gateway of Versity (Apache-2.0), serving a temporary directory on a free
// loopback port. Each folder of that directory is a bucket.
//
// versitygw is a program the tests find on PATH or in $(go env GOPATH)/bin
// (.ci/run installs it with `go install ` + Module). When it is missing,
// the tests that need it skip, or fail under REQUIRE_PEERS=1
// (internal/testpeer).
//
// The server accepts the keys of awstest.Env, so a test process that
// called awstest.Isolate, and every program it starts with awstest.Env,
// reaches it through the usual AWS credential chain.
package s3test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/awstest"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// Module is the versitygw release the tests run against.
const Module = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir is the directory it serves; each folder in it is a bucket.
	Dir string
}

// Env is the environment a program needs to reach a Server: the test keys
// the server accepts, a region, and no instance metadata lookups. It is
// awstest.Env.
func Env() []string {
	return append([]string(nil), awstest.Env...)
}

// Start runs a versitygw for the test and stops it at the test's cleanup.
// It skips the test (or fails it under REQUIRE_PEERS=1) when versitygw is
// not installed, and fails it when the server does not start.
func Start(tb testing.TB) *Server {
	tb.Helper()
	id, secret := awstest.Keys()
	return StartWithKeys(tb, id, secret)
}

// StartWithKeys runs a versitygw as Start does that accepts the given
// access key id and secret key instead of Env's.
func StartWithKeys(tb testing.TB, id, secret string) *Server {
	tb.Helper()
	bin := Find()
	if bin == "" {
		testpeer.Skip(tb, "versitygw not found on PATH or in $(go env GOPATH)/bin; install it with: go install %s (or run .ci/run)", Module)
	}
	dir := tb.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		s, err := start(tb, bin, dir, id, secret)
		if err == nil {
			return s
		}
		lastErr = err
	}
	tb.Fatalf("s3test: %v", lastErr)
	return nil
}

// Bucket starts a server with one bucket and returns the bucket's s3://
// URL, path-style, with the server's endpoint and region us-east-1.
func Bucket(tb testing.TB) string {
	tb.Helper()
	return Start(tb).Bucket(tb)
}

var bucketSeq atomic.Int64

// Bucket makes a new empty bucket on the server and returns its s3:// URL.
func (s *Server) Bucket(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("overcast-test-%d", bucketSeq.Add(1))
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o755); err != nil {
		tb.Fatalf("s3test: make bucket: %v", err)
	}
	return BucketURL(name, s.Endpoint)
}

// BucketURL is the s3:// URL of a bucket on an S3-compatible endpoint.
func BucketURL(name, endpoint string) string {
	q := url.Values{"endpoint": {endpoint}, "region": {"us-east-1"}, "use_path_style": {"true"}}
	return "s3://" + name + "?" + q.Encode()
}

// Find returns the path of versitygw, or "" when it is not installed.
func Find() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// start runs versitygw on one free port and waits until it answers.
func start(tb testing.TB, bin, dir, key, secret string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(tb.TempDir(), "versitygw.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--access", key, "--secret", secret, "--port", addr, "posix", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() { cmd.Process.Kill(); <-exited }
	ep := "http://" + addr
	if err := waitReady(ep, exited); err != nil {
		stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("versitygw on %s: %w; its log:\n%s", addr, err, log)
	}
	tb.Cleanup(stop)
	return &Server{Endpoint: ep, Dir: dir}, nil
}

// waitReady polls the endpoint until it answers HTTP (any status: an
// unsigned request gets 403), for up to 20 s.
func waitReady(ep string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	for range 200 {
		select {
		case <-exited:
			return fmt.Errorf("exited before answering")
		default:
		}
		resp, err := client.Get(ep + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("did not answer within 20 s")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("no free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
