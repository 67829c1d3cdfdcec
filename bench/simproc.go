package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/sim"
)

// simReadyWithin bounds the wait for a separate sim to serve.
const simReadyWithin = 30 * time.Second

// startSeparate starts "bin sim" with o's settings on a free 127.0.0.1
// port and waits until it serves.
func startSeparate(bin string, o *sim.Options) (*RunningSim, error) {
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the overcast binary for a separate sim: %w", err)
		}
	}
	cmd := exec.Command(bin, simArgs(o)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &headBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start a separate sim: %w", err)
	}
	exited := make(chan struct{})
	stop := func() error {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		return nil
	}
	ready := make(chan openwhisk.Config, 1)
	go func() {
		ready <- readSimConfig(out)
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(exited)
	}()
	select {
	case cfg := <-ready:
		if cfg.APIHost != "" && cfg.Auth != "" {
			return &RunningSim{Config: cfg, close: stop}, nil
		}
		<-exited
		return nil, fmt.Errorf("the separate sim exited before serving: %s", stderr.tail())
	case <-time.After(simReadyWithin):
		stop()
		return nil, fmt.Errorf("the separate sim did not serve within %v: %s", simReadyWithin, stderr.tail())
	}
}

// simArgs are the overcast sim arguments for o.
func simArgs(o *sim.Options) []string {
	return []string{"sim", "--addr", "127.0.0.1:0", "--mode", o.Mode,
		"--concurrency-limit", strconv.Itoa(o.Concurrency),
		"--cold-start", o.ColdStart.String(), "--api-latency", o.APILatency.String(),
		"--request-rate", strconv.FormatFloat(o.RequestRate, 'g', -1, 64)}
}

// readSimConfig reads the APIHOST and AUTH lines overcast sim prints once
// it listens.
func readSimConfig(r io.Reader) openwhisk.Config {
	var cfg openwhisk.Config
	sc := bufio.NewScanner(r)
	for (cfg.APIHost == "" || cfg.Auth == "") && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "APIHOST":
			cfg.APIHost = v
		case "AUTH":
			cfg.Auth = v
		}
	}
	return cfg
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - h.b.Len(); room > 0 {
		h.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// tail is what the sim wrote, on one line.
func (h *headBuffer) tail() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := strings.Join(strings.Fields(h.b.String()), " ")
	if s == "" {
		return "no output"
	}
	return s
}
