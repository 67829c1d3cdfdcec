package faasgw

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// function is one deployed OpenFaaS function with its one replica.
type function struct {
	name    string
	starter Starter
	tr      http.RoundTripper

	mu   sync.Mutex // held while the replica starts: callers wait, as the gateway holds calls to a function scaling from zero
	inst *Instance
}

// instance returns the replica, starting it first if need be.
func (f *function) instance(ctx context.Context) (*Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inst != nil {
		return f.inst, nil
	}
	in, err := f.starter.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", f.name, err)
	}
	f.inst = in
	return in, nil
}

func (f *function) replicas() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inst == nil {
		return 0
	}
	return 1
}

func (f *function) stop() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inst == nil {
		return nil
	}
	err := f.inst.Stop()
	f.inst = nil
	return err
}

// answer is a function's answer, with X-Duration-Seconds set as the
// watchdog sets it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request to the function's replica at path and reads the
// whole answer.
func (f *function) call(ctx context.Context, method, path, query string, h http.Header, body io.Reader) (*answer, error) {
	in, err := f.instance(ctx)
	if err != nil {
		return nil, err
	}
	u := in.URL + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	start := time.Now()
	resp, err := f.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	resp.Header.Set("X-Duration-Seconds", fmt.Sprintf("%f", time.Since(start).Seconds()))
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}
