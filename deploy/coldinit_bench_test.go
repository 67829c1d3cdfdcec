package deploy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/owproxy"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// proxyEnv configures the proxy as the action-golang-v1.24 image does.
var proxyEnv = []string{"OW_EXECUTION_ENV=openwhisk/action-golang-v1.24", "OW_WAIT_FOR_ACK=1", "OW_LOG_INIT_ERROR=1"}

// buildProxy builds Apache's proxy into dir.
func buildProxy(tb testing.TB, dir string) string {
	tb.Helper()
	out := filepath.Join(dir, "owproxy")
	src, err := owproxy.Source()
	if err != nil {
		testpeer.Skip(tb, "Apache's Go proxy: %v", err)
	}
	cmd := exec.Command("go", "-C", src, "build", "-o", out, "./cmd/loopback-proxy")
	if b, err := cmd.CombinedOutput(); err != nil {
		testpeer.Skip(tb, "cannot build Apache's Go proxy from %s (../shared/openwhisk/runtime-go, or set %s): %v: %s", src, owproxy.SourceEnv, err, b)
	}
	return out
}

// buildOvercast builds the overcast command for linux/amd64 with flags.
func buildOvercast(tb testing.TB, out string, flags ...string) []byte {
	tb.Helper()
	args := append(append([]string{"build"}, flags...), "-o", out, "github.com/overcast-sc/overcast/cmd/overcast")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %v: %v: %s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// initBody is the invoker's /init request for a zip.
func initBody(tb testing.TB, archive []byte) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"value": map[string]any{
		"main": "main", "code": base64.StdEncoding.EncodeToString(archive), "binary": true,
		"env": map[string]string{"__OW_API_HOST": "http://127.0.0.1:1", "__OW_NAMESPACE": "guest", "__OW_ACTION_NAME": "/guest/overcast",
			"__OW_ACTION_VERSION": "0.0.1", "__OW_ACTIVATION_ID": "0123456789abcdef0123456789abcdef", "__OW_TRANSACTION_ID": "bench",
			"__OW_DEADLINE": fmt.Sprint(time.Now().Add(time.Hour).UnixMilli())},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// coldInit starts a fresh proxy and times one /init of body, as a cold
// container sees it: the request sent, the zip unpacked, exec.env
// checked, the worker started and its ack received.
func coldInit(tb testing.TB, proxy string, body []byte) time.Duration {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(proxy, "--addr", addr, "--dir", tb.TempDir())
	cmd.Env = append(os.Environ(), proxyEnv...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitListening(tb, addr)
	start := time.Now()
	resp, err := http.Post("http://"+addr+"/init", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("/init: %v", err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != 200 {
		tb.Fatalf("/init answered %d %s; proxy log: %s", resp.StatusCode, answer, logs.String())
	}
	return d
}

// waitListening waits (boundedly) for the proxy to accept connections.
func waitListening(tb testing.TB, addr string) {
	tb.Helper()
	for range 500 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("the proxy does not listen on %s", addr)
}

// coldVariant is one way to build and pack the worker.
type coldVariant struct {
	name  string
	flags []string
	strip bool // Strip the build, as deploy does to a running binary
	level int
	zip   []byte
	exec  int
	pack  time.Duration
	init  time.Duration
}

// BenchmarkColdInit measures a cold /init of the deployed zip under
// Apache's own Go actionloop proxy, configured as the action-golang-v1.24
// image, for the worker as it was built before (CGO_ENABLED=0 go build,
// no flags, default deflate) and as deploy builds it now (BuildFlags,
// ZipLevel); plus, to tell what each part gives, stripped without the
// lambda.norpc tag, the best deflate level, and the old build put through
// Strip (what deploy uploads of a running binary built so). Each iteration
// inits every variant once, in turn, in a fresh proxy, so that the ratios
// compare runs under the same load. Run it with
//
//	go test ./deploy -run '^$' -bench ColdInit -benchtime 10x
func BenchmarkColdInit(b *testing.B) {
	dir := b.TempDir()
	proxy := buildProxy(b, dir)
	vs := []*coldVariant{
		{name: "old", level: flate.DefaultCompression},
		{name: "new", flags: BuildFlags, level: ZipLevel},
		{name: "stripped", flags: []string{"-trimpath", "-ldflags=-s -w"}, level: ZipLevel},
		{name: "old+Strip", strip: true, level: ZipLevel},
		{name: "best", flags: BuildFlags, level: flate.BestCompression},
	}
	bodies := make([][]byte, len(vs))
	for i, v := range vs {
		exe := buildOvercast(b, filepath.Join(dir, "overcast-"+v.name), v.flags...)
		if v.strip {
			var err error
			if exe, _, err = Strip(exe); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		zipped, err := zipLevel([]File{{Name: "exec", Data: exe, Mode: 0o755},
			{Name: "exec.env", Data: []byte("openwhisk/action-golang-v1.24"), Mode: 0o644}}, v.level)
		if err != nil {
			b.Fatal(err)
		}
		v.pack, v.zip, v.exec = time.Since(start), zipped, len(exe)
		bodies[i] = initBody(b, zipped)
	}
	b.ResetTimer()
	for range b.N {
		for i, v := range vs {
			v.init += coldInit(b, proxy, bodies[i])
		}
	}
	b.StopTimer()
	by := map[string]*coldVariant{}
	for _, v := range vs {
		by[v.name] = v
		b.ReportMetric(float64(len(v.zip))/1e6, v.name+"-zip-MB")
		b.ReportMetric(float64(v.exec)/1e6, v.name+"-exec-MB")
		b.ReportMetric(v.init.Seconds()*1e3/float64(b.N), v.name+"-init-ms")
		b.ReportMetric(v.pack.Seconds()*1e3, v.name+"-pack-ms")
	}
	old, cur := by["old"], by["new"]
	b.ReportMetric(float64(len(cur.zip))/float64(len(old.zip)), "new/old-zip")
	b.ReportMetric(cur.init.Seconds()/old.init.Seconds(), "new/old-init")
	b.ReportMetric(by["stripped"].init.Seconds()/old.init.Seconds(), "stripped/old-init")
	b.ReportMetric(by["old+Strip"].init.Seconds()/old.init.Seconds(), "old+Strip/old-init")
	b.ReportMetric(by["best"].init.Seconds()/cur.init.Seconds(), "best/new-init")
}

// TestProxyInitsTheWorker is the benchmark's scenario as a test: the zip
// deploy makes today, /init under Apache's proxy as the v1.24 image, is
// accepted (exec.env matches, the worker starts and acknowledges).
func TestProxyInitsTheWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the proxy and the worker")
	}
	dir := t.TempDir()
	proxy := buildProxy(t, dir)
	mainPackageOverride = "github.com/overcast-sc/overcast/cmd/overcast"
	defer func() { mainPackageOverride = "" }()
	bin, err := WorkerBinary(context.Background(), "amd64", dir)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(bin.Path)
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := Zip([]File{{Name: "exec", Data: exe, Mode: 0o755}, {Name: "exec.env", Data: []byte("openwhisk/action-golang-v1.24"), Mode: 0o644}})
	if err != nil {
		t.Fatal(err)
	}
	coldInit(t, proxy, initBody(t, zipped))
}

// BenchmarkColdInitSteps splits a cold /init of the zip deploy makes into
// the proxy's steps, done here with the same standard library calls:
// decoding the JSON request, the base64 code, inflating exec to disk, and
// starting the worker until its ack on fd 3 (Go runtime and package
// initialisation included). Run it with
//
//	go test ./deploy -run '^$' -bench ColdInitSteps -benchtime 10x
func BenchmarkColdInitSteps(b *testing.B) {
	dir := b.TempDir()
	exe := buildOvercast(b, filepath.Join(dir, "overcast"), BuildFlags...)
	zipped, err := Zip([]File{{Name: "exec", Data: exe, Mode: 0o755}})
	if err != nil {
		b.Fatal(err)
	}
	body := initBody(b, zipped)
	var steps [4]time.Duration
	b.ResetTimer()
	for range b.N {
		for i, d := range initSteps(b, body) {
			steps[i] += d
		}
	}
	b.StopTimer()
	for i, name := range []string{"json", "base64", "unzip", "start+ack"} {
		b.ReportMetric(steps[i].Seconds()*1e3/float64(b.N), name+"-ms")
	}
}

// initSteps does and times the proxy's /init steps for body.
func initSteps(tb testing.TB, body []byte) [4]time.Duration {
	tb.Helper()
	var d [4]time.Duration
	t := time.Now()
	var req struct {
		Value struct {
			Code string `json:"code"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		tb.Fatal(err)
	}
	d[0], t = time.Since(t), time.Now()
	raw, err := base64.StdEncoding.DecodeString(req.Value.Code)
	if err != nil {
		tb.Fatal(err)
	}
	d[1], t = time.Since(t), time.Now()
	exe := unzipExec(tb, raw, tb.TempDir())
	d[2], t = time.Since(t), time.Now()
	startWorker(tb, exe)
	d[3] = time.Since(t)
	return d
}

// unzipExec writes the archive's exec under dir as the proxy does.
func unzipExec(tb testing.TB, raw []byte, dir string) string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "exec")
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dir, f.Name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, f.Mode())
		if err != nil {
			tb.Fatal(err)
		}
		_, err = io.Copy(out, rc)
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	return path
}

// startWorker starts exe as the proxy does (OW_WAIT_FOR_ACK: the worker
// answers {"ok":true} on fd 3) and stops it after the ack.
func startWorker(tb testing.TB, exe string) {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(exe)
	cmd.Env = []string{"__OW_WAIT_FOR_ACK=1", "__OW_API_HOST=http://127.0.0.1:1", "__OW_EXECUTION_ENV=openwhisk/action-golang-v1.24"}
	cmd.ExtraFiles = []*os.File{w}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	w.Close()
	ack := make([]byte, 64)
	n, err := r.Read(ack)
	if err != nil || !bytes.Contains(ack[:n], []byte(`"ok":true`)) {
		tb.Fatalf("worker ack %q: %v", ack[:n], err)
	}
	stdin.Close()
	cmd.Wait()
}
