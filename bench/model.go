package bench

import (
	"fmt"
	"math"
	"time"

	"github.com/overcast-sc/overcast/sim"
)

// DefaultColdStart is the sim's cold start in benchmarks unless told
// otherwise. It stands for starting a container and a cold /init of the
// deployed worker zip (8.5 MB, a 19.8 MB exec) under Apache's Go
// actionloop proxy configured as the action-golang-v1.24 image:
// BenchmarkColdInit in ./deploy (bench/results/go-cold-init-*.json)
// measures the /init alone at about 0.2 s on a quiet 2-core machine and
// 0.65-1.4 s on a loaded one. A real invoker creates the container
// first, which the proxy benchmark cannot measure here (no Docker
// engine), so the default is the /init measured under load, 650 ms: a
// cold start no shorter than the measured one.
const DefaultColdStart = 650 * time.Millisecond

// DefaultAPILatency is the time every API call of the sim takes: a
// controller's answer across a network.
const DefaultAPILatency = 20 * time.Millisecond

// DefaultRequestRate is how many API calls a second the sim's controller
// answers in benchmarks: AWS Lambda's quota of invoke requests a second
// for a function is 10 times its concurrency, 10,000 at the default
// account concurrency of 1,000.
const DefaultRequestRate = 10_000

// Where the sim runs.
const (
	// SimInProcess runs the sim in the benchmark's own process: the
	// driver and the platform share its CPU and runtime.
	SimInProcess = "in-process"
	// SimSeparate runs the sim as its own process (overcast sim).
	SimSeparate = "separate"
)

// Model is what a sim run models. Every benchmark on the sim prints it
// with its results.
type Model struct {
	ColdStartMS  int `json:"cold_start_ms"`
	APILatencyMS int `json:"api_latency_ms"`
	// RequestRate is the API calls a second the controller answers; 0
	// means unlimited.
	RequestRate float64 `json:"request_rate"`
	// ConcurrencyLimit is the namespace's limit of activations at once.
	ConcurrencyLimit int `json:"concurrency_limit"`
	// ContainerMode is how actions run: sim.ModeInproc or
	// sim.ModeProcess.
	ContainerMode string `json:"container_mode"`
	// SimProcess is SimInProcess or SimSeparate.
	SimProcess string `json:"sim_process"`
}

// String is the model on one line, as table headers print it.
func (m Model) String() string {
	l := m.Lines()
	return l[0] + ", " + l[1]
}

// Lines is the model on two lines, as plot titles print it: the
// platform's delays and rate, then its limit and where things run.
func (m Model) Lines() [2]string {
	rate := "unlimited"
	if m.RequestRate > 0 {
		rate = fmt.Sprintf("%g/s", m.RequestRate)
		if m.RequestRate == math.Trunc(m.RequestRate) {
			rate = thousands(int(m.RequestRate)) + "/s"
		}
	}
	limit := "tasks (at least 1,000)"
	if m.ConcurrencyLimit > 0 {
		limit = thousands(m.ConcurrencyLimit)
	}
	return [2]string{fmt.Sprintf("cold start %d ms, API latency %d ms, API rate %s", m.ColdStartMS, m.APILatencyMS, rate),
		fmt.Sprintf("concurrency limit %s, %s containers, sim %s", limit, m.ContainerMode, m.SimProcess)}
}

// simLimit is the namespace limit of a run of n tasks: all of them at
// once.
func simLimit(n int) int { return max(n, 1000) }

// Model returns what the target models; with n > 0, for a run of n tasks.
func (t *SimTarget) Model(n int) Model {
	m := Model{ColdStartMS: int(t.ColdStart.Milliseconds()), APILatencyMS: int(t.APILatency.Milliseconds()),
		RequestRate: t.RequestRate, ContainerMode: sim.ModeInproc, SimProcess: t.process()}
	if n > 0 {
		m.ConcurrencyLimit = simLimit(n)
	}
	return m
}

func (t *SimTarget) process() string {
	if t.Process == "" {
		return SimInProcess
	}
	return t.Process
}
