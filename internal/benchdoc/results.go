// Package benchdoc turns the JSON files benchmark runs write into the
// tables of BENCHMARKS.md, and decides from those runs alone whether each
// target is met.
package benchdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/overcast-sc/overcast/bench"
)

// Result kinds.
const (
	KindFanout   = "fanout"
	KindScaling  = "scaling"
	KindOverhead = "overhead"
	KindGoBench  = "go-bench"
	KindParallel = "parallel"
)

// Header is what every result carries: where it ran, how to run it
// again, and on the sim what was modelled.
type Header struct {
	Machine bench.Machine `json:"machine"`
	Command string        `json:"command"`
	Backend string        `json:"backend"`
	Model   *bench.Model  `json:"model"`
	// Time is when the run began (RFC 3339), Note how the machine was
	// loaded; both optional.
	Time string `json:"time"`
	Note string `json:"note"`
}

// Fanout is one task count of overcast bench fanout --json.
type Fanout struct {
	Header
	bench.FanoutResult
	Naive *bench.FanoutResult `json:"naive"`
	// LoopbackRate and FractionOfLoopback compare invocations a second
	// with the machine's raw loopback HTTP rate in the same run.
	LoopbackRate       float64 `json:"loopback_requests_per_second"`
	FractionOfLoopback float64 `json:"fraction_of_loopback"`
	File               string  `json:"-"`
}

// ScalingRow is one row of overcast bench scaling --json.
type ScalingRow struct {
	Header
	bench.ScalingRow
	Mode     string `json:"mode"`
	Workload string `json:"workload"`
}

// Scaling is one run of overcast bench scaling: its rows in order.
type Scaling struct {
	Rows []ScalingRow
	File string
}

// Overhead is overcast bench overhead --json.
type Overhead struct {
	Header
	Rows []bench.OverheadRow `json:"rows"`
	File string              `json:"-"`
}

// GoBench is one run of go test -bench, as scripts/benchmarks saves it.
type GoBench struct {
	Header
	Kind       string      `json:"kind"`
	Benchmarks []Benchmark `json:"benchmarks"`
	File       string      `json:"-"`
}

// Benchmark is one line of go test -bench output.
type Benchmark struct {
	Package    string             `json:"package"`
	Name       string             `json:"name"`
	Iterations int64              `json:"iterations"`
	Metrics    map[string]float64 `json:"metrics"`
	// Failed is a run that failed (go test's "--- FAIL"), with the first
	// line it logged.
	Failed bool   `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Parallel is one case of scripts/bench-parallel.sh: wall times of GNU
// parallel and of overcast on the same pi tasks.
type Parallel struct {
	Header
	Kind            string    `json:"kind"`
	Tasks           int       `json:"tasks"`
	SamplesPerTask  float64   `json:"samples_per_task"`
	Jobs            int       `json:"jobs"`
	ParallelSeconds []float64 `json:"parallel_seconds"`
	OvercastSeconds []float64 `json:"overcast_seconds"`
	File            string    `json:"-"`
}

// Speedup is the best parallel time over the best overcast time.
func (p *Parallel) Speedup() float64 {
	if len(p.ParallelSeconds) == 0 || len(p.OvercastSeconds) == 0 || slices.Min(p.OvercastSeconds) <= 0 {
		return 0
	}
	return slices.Min(p.ParallelSeconds) / slices.Min(p.OvercastSeconds)
}

// Results are every result of a directory, each list in file order.
type Results struct {
	Fanouts   []Fanout
	Scalings  []Scaling
	Overheads []Overhead
	GoBenches []GoBench
	Parallels []Parallel
}

// Load reads every *.json file of dir. A file it cannot place is an
// error: nothing is dropped silently.
func Load(dir string) (*Results, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no result files (*.json) in %s", dir)
	}
	slices.Sort(files)
	r := &Results{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := r.add(filepath.Base(f), b); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return r, nil
}

// add places one file's content.
func (r *Results) add(name string, b []byte) error {
	b = bytes.TrimSpace(b)
	kind, err := kindOf(b)
	if err != nil {
		return err
	}
	switch kind {
	case KindFanout:
		var fs []Fanout
		if err := decodeOneOrMany(b, &fs); err != nil {
			return err
		}
		for i := range fs {
			fs[i].File = name
			if err := fs[i].Header.check(); err != nil {
				return err
			}
		}
		r.Fanouts = append(r.Fanouts, fs...)
	case KindScaling:
		s := Scaling{File: name}
		if err := json.Unmarshal(b, &s.Rows); err != nil {
			return err
		}
		for _, row := range s.Rows {
			if err := row.Header.check(); err != nil {
				return err
			}
		}
		r.Scalings = append(r.Scalings, s)
	case KindOverhead:
		o := Overhead{File: name}
		if err := decodeChecked(b, &o, &o.Header); err != nil {
			return err
		}
		r.Overheads = append(r.Overheads, o)
	case KindGoBench:
		g := GoBench{File: name}
		if err := decodeChecked(b, &g, &g.Header); err != nil {
			return err
		}
		r.GoBenches = append(r.GoBenches, g)
	case KindParallel:
		p := Parallel{File: name}
		if err := decodeChecked(b, &p, &p.Header); err != nil {
			return err
		}
		r.Parallels = append(r.Parallels, p)
	}
	return nil
}

// kindOf tells a result file's kind from its shape.
func kindOf(b []byte) (string, error) {
	var first map[string]json.RawMessage
	if bytes.HasPrefix(b, []byte("[")) {
		var all []map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return "", err
		}
		if len(all) == 0 {
			return "", fmt.Errorf("an empty array")
		}
		first = all[0]
	} else if err := json.Unmarshal(b, &first); err != nil {
		return "", err
	}
	var kind string
	if k, ok := first["kind"]; ok {
		if err := json.Unmarshal(k, &kind); err != nil {
			return "", err
		}
	}
	switch {
	case kind == KindGoBench || kind == KindParallel:
		return kind, nil
	case kind != "":
		return "", fmt.Errorf("unknown kind %q", kind)
	case has(first, "time_to_all_running_seconds"):
		return KindFanout, nil
	case has(first, "efficiency"):
		return KindScaling, nil
	case has(first, "rows"):
		return KindOverhead, nil
	}
	return "", fmt.Errorf("not a result of overcast bench --json, go test -bench or bench-parallel.sh")
}

func has(m map[string]json.RawMessage, k string) bool {
	_, ok := m[k]
	return ok
}

// decodeOneOrMany decodes an object or an array of objects into *v.
func decodeOneOrMany[T any](b []byte, v *[]T) error {
	if bytes.HasPrefix(b, []byte("[")) {
		return json.Unmarshal(b, v)
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*v = []T{one}
	return nil
}

func decodeChecked(b []byte, v any, h *Header) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	return h.check()
}

// check makes sure a result says how to reproduce it and where it ran.
func (h *Header) check() error {
	switch {
	case strings.TrimSpace(h.Command) == "":
		return fmt.Errorf("a result without its command")
	case h.Machine.Cores == 0 || h.Machine.GoVersion == "":
		return fmt.Errorf("a result without its machine (cores and Go version)")
	}
	return nil
}
