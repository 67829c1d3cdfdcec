package owproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"
)

// Config is how a runtime image configures its proxy.
type Config struct {
	// ExecEnv is the image's OW_EXECUTION_ENV, such as
	// "openwhisk/action-golang-v1.24": the proxy refuses an action whose
	// exec.env differs. Empty means no check.
	ExecEnv string
	// Env is added to the proxy's environment, as the invoker's docker run
	// adds __OW_API_HOST.
	Env []string
	// Dir is a folder of the proxy's own; /init unpacks actions under it.
	Dir string
	// Stdout and Stderr receive the proxy's output and its action's.
	Stdout, Stderr *os.File
	// StartTimeout bounds the wait for the proxy to listen; default 10 s.
	StartTimeout time.Duration
}

// Proxy is one running proxy process: one container of a real invoker.
type Proxy struct {
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	// LogStart is the size of the Stderr file after the proxy's own start
	// line: what the action writes comes after it.
	LogStart int64
}

// OutputGuard is the line the proxy writes to stdout and stderr after each
// /run, which the invoker reads logs up to.
const OutputGuard = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

var (
	startLine = regexp.MustCompile(`OpenWhisk actionloop proxy \S+ on (127\.0\.0\.1:\d+)\n`)
	client    = &http.Client{Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 1,
		IdleConnTimeout: time.Minute, DisableCompression: true}}
)

// Start starts the proxy binary bin on a free loopback port as cfg says,
// and returns once it listens.
func Start(bin string, cfg Config) (*Proxy, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--dir", filepath.Join(cfg.Dir, "action"))
	cmd.Dir = cfg.Dir
	cmd.Env = append([]string{"OW_WAIT_FOR_ACK=1", "OW_LOG_INIT_ERROR=1"}, cfg.Env...)
	if cfg.ExecEnv != "" {
		cmd.Env = append(cmd.Env, "OW_EXECUTION_ENV="+cfg.ExecEnv)
	}
	cmd.Stdout, cmd.Stderr = cfg.Stdout, cfg.Stderr
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("owproxy: start: %w", err)
	}
	p := &Proxy{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	if err := p.awaitListen(cfg.Stderr, cfg.StartTimeout); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// awaitListen polls the proxy's stderr for its start line, which names
// the address it listens on.
func (p *Proxy) awaitListen(stderr *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		data, _ := readFrom(stderr, 0, 64<<10)
		if m := startLine.FindSubmatchIndex(data); m != nil {
			p.url, p.LogStart = "http://"+string(data[m[2]:m[3]]), int64(m[1])
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("owproxy: the proxy exited before listening: %s", bytes.TrimSpace(data))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("owproxy: the proxy did not listen within %v", timeout)
		}
		time.Sleep(wait)
	}
}

func readFrom(f *os.File, off int64, limit int) ([]byte, error) {
	buf := make([]byte, limit)
	n, err := f.ReadAt(buf, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return buf[:n], err
}

// URL returns the proxy's base address, "http://127.0.0.1:PORT".
func (p *Proxy) URL() string { return p.url }

// Exited is closed when the proxy process has ended.
func (p *Proxy) Exited() <-chan struct{} { return p.exited }

// Kill ends the proxy and its action's process, and waits for the proxy.
func (p *Proxy) Kill() {
	killGroup(p.cmd)
	<-p.exited
}

// Init posts an /init body and returns the status and the answer.
func (p *Proxy) Init(ctx context.Context, body []byte) (int, []byte, error) {
	status, answer, _, err := p.post(ctx, "/init", body, 1<<20)
	return status, answer, err
}

// Run posts a /run body and returns the status and the answer, keeping at
// most limit+1 of its bytes; size counts them all.
func (p *Proxy) Run(ctx context.Context, body []byte, limit int) (status int, answer []byte, size int, err error) {
	return p.post(ctx, "/run", body, limit)
}

func (p *Proxy) post(ctx context.Context, path string, body []byte, limit int) (int, []byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	size := len(answer)
	if err == nil && size > limit {
		n, cerr := io.Copy(io.Discard, resp.Body)
		size, err = size+int(n), cerr
	}
	return resp.StatusCode, answer, size, err
}

// InitBody is the /init body the invoker posts: the action's name, main,
// code (base64 when binary) and the environment the action starts with.
func InitBody(name, main, code string, binary bool, env map[string]string) []byte {
	if main == "" {
		main = "main"
	}
	b, _ := json.Marshal(map[string]any{"value": map[string]any{
		"name": name, "main": main, "code": code, "binary": binary, "env": env}})
	return b
}

// Activation is the metadata the invoker sends with each /run.
type Activation struct {
	Namespace, ActionName, ActivationID, TransactionID, APIKey string
	Deadline                                                   time.Time
}

// RunBody is the /run body the invoker posts: the parameters under
// "value", and the activation's metadata. The error is encoding/json's
// when value is not valid JSON.
func RunBody(value json.RawMessage, a Activation) ([]byte, error) {
	return json.Marshal(struct {
		Value         json.RawMessage `json:"value"`
		Namespace     string          `json:"namespace"`
		ActionName    string          `json:"action_name"`
		ActivationID  string          `json:"activation_id"`
		TransactionID string          `json:"transaction_id"`
		Deadline      string          `json:"deadline"`
		APIKey        string          `json:"api_key,omitempty"`
	}{value, a.Namespace, a.ActionName, a.ActivationID, a.TransactionID, fmt.Sprint(a.Deadline.UnixMilli()), a.APIKey})
}
