package gcf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/overcast-sc/overcast/worker"
)

var runs atomic.Int64

func init() {
	worker.Register("gcftest/echo", func(ctx context.Context, in []byte) ([]byte, error) {
		runs.Add(1)
		return in, nil
	})
}

// TestFunctionsFramework serves the worker through the framework's own
// server on a loopback port, as Cloud Run runs a function (FUNCTION_TARGET
// names it and it answers every path), and invokes a task with and without
// the token. The framework's server cannot be stopped: it ends with the
// test binary.
func TestFunctionsFramework(t *testing.T) {
	t.Setenv("OVERCAST_TOKEN", "")
	if err := Register(worker.HTTPOptions{}); !errors.Is(err, worker.ErrNoToken) {
		t.Fatalf("Register without a token: %v, want ErrNoToken", err)
	}
	// The framework's registry and server live as long as the process, so
	// they are set up once however often the test runs (-count).
	framework.Do(func() {
		t.Setenv("OVERCAST_TOKEN", "tok")
		t.Setenv("FUNCTION_TARGET", FunctionName)
		if framework.err = Register(worker.HTTPOptions{}); framework.err == nil {
			framework.url, framework.err = startFramework()
		}
	})
	if framework.err != nil {
		t.Fatal(framework.err)
	}
	url := framework.url
	before := runs.Load()
	body := `{"task":"gcftest/echo","index":0,"input":{"v":42}}`
	if code, answer := post(t, url+"/invoke", body, "Bearer wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d %s, want 401", code, answer)
	}
	if n := runs.Load() - before; n != 0 {
		t.Fatalf("a refused request ran its task (%d runs)", n)
	}
	code, answer := post(t, url+"/invoke", body, "Bearer tok")
	resp, err := worker.DecodeResponse([]byte(answer))
	if code != http.StatusOK || err != nil || string(resp.Output) != `{"v":42}` || runs.Load()-before != 1 {
		t.Fatalf("task through the framework: %d %s (%v)", code, answer, err)
	}
}

var framework struct {
	sync.Once
	url string
	err error
}

// startFramework starts funcframework's server on a free loopback port and
// waits for the worker's /healthz to answer through it.
func startFramework() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	failed := make(chan error, 1)
	go func() { failed <- funcframework.StartHostPort("127.0.0.1", port) }()
	url := "http://127.0.0.1:" + port
	for range 500 { // up to 10 s
		select {
		case err := <-failed:
			return "", fmt.Errorf("functions framework: %w", err)
		default:
		}
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", fmt.Errorf("GET /healthz through the framework: %d", resp.StatusCode)
			}
			return url, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("the functions framework did not answer within 10 s")
}

func post(t *testing.T, url, body, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
