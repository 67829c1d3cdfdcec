package sim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchClient sends invokes with a transport sized for many connections.
type benchClient struct {
	c    *http.Client
	auth string
	url  string
}

func newBenchClient(s *Server, action, query string) *benchClient {
	return &benchClient{
		c: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
			MaxIdleConns: 20000, MaxIdleConnsPerHost: 20000, IdleConnTimeout: time.Minute,
		}},
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Auth())),
		url:  s.APIHost() + "/api/v1/namespaces/_/actions/" + action + query,
	}
}

func (c *benchClient) invoke(body []byte) (int, error) {
	req, err := http.NewRequest("POST", c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// benchInvoke measures invocations per second from parallel clients.
func benchInvoke(b *testing.B, query string, want int) {
	s := newServer(b, &Options{Concurrency: 100000, MaxActivations: 200000})
	putAction(b, s, "echo", dummyZip(b), nil)
	c := newBenchClient(s, "echo", query)
	body := echoRequest(b, `{"n":1}`)
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	var failed atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code, err := c.invoke(body); err != nil || code != want {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inv/s")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d invokes failed", n, b.N)
	}
}

func BenchmarkInvokeNonBlocking(b *testing.B) { benchInvoke(b, "", http.StatusAccepted) }
func BenchmarkInvokeBlocking(b *testing.B) {
	benchInvoke(b, "?blocking=true&result=true", http.StatusOK)
}

// benchConcurrent starts n activations that each run for hold, from n
// goroutines, and reports how long until all n were running at once.
func benchConcurrent(b *testing.B, n int, query string, want int) {
	for i := 0; i < b.N; i++ {
		s := newServer(b, &Options{Concurrency: 2 * n, APILatency: 20 * time.Millisecond})
		putAction(b, s, "sleep", dummyZip(b), nil)
		c := newBenchClient(s, "sleep", query)
		hold := 8 * time.Second
		body := echoRequest(b, fmt.Sprintf(`{"sleep_ms":%d}`, hold.Milliseconds()))
		var wg sync.WaitGroup
		var failed atomic.Int64
		start := time.Now()
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, err := c.invoke(body); err != nil || code != want {
					failed.Add(1)
				}
			}()
		}
		for s.Stats().MaxRunning < int64(n) && time.Since(start) < hold && failed.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		reached := time.Since(start)
		wg.Wait()
		if f := failed.Load(); f > 0 || s.Stats().MaxRunning < int64(n) {
			b.Fatalf("%d invokes failed; %d running at most", f, s.Stats().MaxRunning)
		}
		b.ReportMetric(reached.Seconds(), "s-to-all-running")
		s.Close()
	}
}

func BenchmarkConcurrent10000NonBlocking(b *testing.B) {
	benchConcurrent(b, 10000, "", http.StatusAccepted)
}

// Blocking invokes hold a connection each on both sides: 9,000 of them
// fit in one process's limit of 20,000 open files.
func BenchmarkConcurrent9000Blocking(b *testing.B) {
	benchConcurrent(b, 9000, "?blocking=true&result=true", http.StatusOK)
}
