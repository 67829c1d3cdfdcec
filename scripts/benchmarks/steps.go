package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/overcast-sc/overcast/bench"
	"github.com/overcast-sc/overcast/internal/benchdoc"
)

// runOptions are the settings of -run.
type runOptions struct {
	quick, keep bool
	repeat      int
	note, only  string
}

// step is one measurement -run makes.
type step struct {
	name string
	// overcast is "overcast bench ..." arguments (without "overcast");
	// goBench is go test arguments; script a script's path.
	overcast, goBench []string
	script            string
	// needs is a program the step needs on PATH.
	needs string
	// quick steps run with -quick too; once steps run once whatever
	// -repeat says.
	quick, once bool
}

func (s *step) describe() string {
	switch {
	case s.overcast != nil:
		return "overcast " + strings.Join(s.overcast, " ")
	case s.goBench != nil:
		return "go test " + strings.Join(s.goBench, " ")
	}
	return s.script
}

var fanout = []string{"bench", "fanout", "--tasks", "1000,10000", "--task-ms", "1000", "--json"}
var weak = []string{"bench", "scaling", "--backend", "sim", "--mode", "weak", "--json"}

// steps are every measurement BENCHMARKS.md shows.
var steps = []step{
	{name: "fanout-inprocess", overcast: append(slices.Clone(fanout), "--sim-process", bench.SimInProcess, "--plot", "docs/fanout-sim.png", "--plot", "docs/fanout-sim.svg"), quick: true},
	{name: "fanout-separate", overcast: append(slices.Clone(fanout), "--sim-process", bench.SimSeparate, "--plot", "docs/fanout-sim-separate.png", "--plot", "docs/fanout-sim-separate.svg"), quick: true},
	{name: "fanout-naive", overcast: []string{"bench", "fanout", "--tasks", "1000", "--task-ms", "1000", "--naive", "--json"}, once: true},
	{name: "weak-1s-inprocess", overcast: append(slices.Clone(weak), "--tasks", "1,10,100,1000,10000", "--task-ms", "1000", "--sim-process", bench.SimInProcess, "--plot", "docs/weak-scaling-sim.png", "--plot", "docs/weak-scaling-sim.svg"), quick: true},
	{name: "weak-1s-separate", overcast: append(slices.Clone(weak), "--tasks", "1,10,100,1000,10000", "--task-ms", "1000", "--sim-process", bench.SimSeparate, "--plot", "docs/weak-scaling-sim-separate.png", "--plot", "docs/weak-scaling-sim-separate.svg"), quick: true},
	{name: "weak-10s-inprocess", overcast: append(slices.Clone(weak), "--tasks", "1,10000", "--task-ms", "10000", "--sim-process", bench.SimInProcess, "--plot", "docs/weak-scaling-sim-10s.png", "--plot", "docs/weak-scaling-sim-10s.svg")},
	{name: "weak-10s-separate", overcast: append(slices.Clone(weak), "--tasks", "1,10000", "--task-ms", "10000", "--sim-process", bench.SimSeparate)},
	{name: "strong-local-pi", overcast: []string{"bench", "scaling", "--backend", "local", "--workload", "pi", "--mode", "strong", "--tasks", "1,2,4,8,16,32", "--samples", "2e9", "--json", "--plot", "docs/strong-scaling-local.png", "--plot", "docs/strong-scaling-local.svg"}, once: true},
	{name: "overhead", overcast: []string{"bench", "overhead", "--tasks", "1e6", "--json"}},
	{name: "go-scheduler-overhead", goBench: []string{"-run", "XXX", "-bench", "SchedulerOverhead", "-benchtime", "1000000x", "-count", "3", "."}, once: true},
	{name: "go-hand-loop", goBench: []string{"-run", "XXX", "-bench", "LocalVsHandLoop", "-benchtime", "4x", "-count", "2", "./workloads/pi"}, once: true},
	{name: "go-primesieve", goBench: []string{"-run", "XXX", "-bench", "LocalVsPrimesieve", "-benchtime", "3x", "-count", "2", "./workloads/primes"}, needs: "primesieve", once: true},
	{name: "go-journal", goBench: []string{"-run", "XXX", "-bench", ".", "./journal"}, once: true},
	{name: "go-lambda-emulator", goBench: []string{"-run", "XXX", "-bench", "EmulatorPool", "./backend/lambda"}, once: true},
	{name: "go-faults", goBench: []string{"-run", "XXX", "-bench", "BenchmarkFaultMakespan", "-benchtime", "1x", "-count", "2", "-timeout", "60m", "./internal/faulttest"}, once: true},
	{name: "go-cold-init", goBench: []string{"-run", "^$", "-bench", "ColdInit$", "-benchtime", "8x", "./deploy"}, once: true},
	{name: "go-cold-init-steps", goBench: []string{"-run", "^$", "-bench", "ColdInitSteps", "-benchtime", "10x", "./deploy"}, once: true},
	{name: "go-ten-million", goBench: []string{"-run", "^$", "-bench", "TenMillionTasks", "-benchtime", "1x", "-timeout", "4h", "./bench"}, once: true},
	{name: "go-fanout-fraction", goBench: []string{"-run", "^$", "-bench", "FanoutFraction", "-benchtime", "1x", "-count", "3", "./bench"}, once: true},
	{name: "go-wordcount", goBench: []string{"-run", "^$", "-bench", "LocalVsSingleProcess", "-benchtime", "1x", "-count", "2", "-timeout", "120m", "./workloads/wordcount"}, once: true},
	{name: "go-sort-gnu", goBench: []string{"-run", "^$", "-bench", "LocalVsGNUSort", "-benchtime", "1x", "-count", "3", "-timeout", "60m", "./workloads/sortbench"}, needs: "sort", once: true},
	{name: "go-sort-sim-s3", goBench: []string{"-run", "^$", "-bench", "SortOnSimS3", "-benchtime", "1x", "-timeout", "60m", "./cli"}, once: true},
	{name: "go-wordcount-sim-s3", goBench: []string{"-run", "^$", "-bench", "WordcountOnSimS3", "-benchtime", "2x", "-timeout", "60m", "./cli"}, once: true},
	{name: "parallel", script: "scripts/bench-parallel.sh", needs: "parallel", once: true},
}

// runSteps runs the chosen steps into dir. A step that fails is reported
// and the others still run; runSteps then fails.
func runSteps(dir string, o *runOptions) error {
	chosen, err := choose(o)
	if err != nil {
		return err
	}
	for _, s := range chosen {
		if s.needs != "" {
			if _, err := exec.LookPath(s.needs); err != nil {
				return fmt.Errorf("step %s needs %s on PATH (or leave it out with -only)", s.name, s.needs)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if !o.keep {
		old, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	bin, cleanup, err := buildOvercast()
	if err != nil {
		return err
	}
	defer cleanup()
	var failed []string
	for _, s := range chosen {
		n := o.repeat
		if s.once || o.quick {
			n = 1
		}
		for i := 1; i <= n; i++ {
			fmt.Fprintf(os.Stderr, "== %s (%d of %d): %s\n", s.name, i, n, s.describe())
			if err := s.run(bin, dir, fmt.Sprintf("%s-%d", s.name, i), o.note); err != nil {
				fmt.Fprintf(os.Stderr, "   %s failed: %v\n", s.name, err)
				failed = append(failed, s.name)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("steps failed: %s (their results, where they printed any, are kept)", strings.Join(failed, ", "))
	}
	return nil
}

// choose returns the steps -quick and -only select.
func choose(o *runOptions) ([]step, error) {
	if o.only == "" {
		var out []step
		for _, s := range steps {
			if s.quick || !o.quick {
				out = append(out, s)
			}
		}
		return out, nil
	}
	var out []step
	for _, name := range strings.Split(o.only, ",") {
		i := slices.IndexFunc(steps, func(s step) bool { return s.name == name })
		if i < 0 {
			return nil, fmt.Errorf("no step %q (see -list)", name)
		}
		out = append(out, steps[i])
	}
	return out, nil
}

func buildOvercast() (string, func(), error) {
	tmp, err := os.MkdirTemp("", "overcast-benchmarks")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(tmp, "overcast")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/overcast")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("build overcast: %w", err)
	}
	return bin, func() { os.RemoveAll(tmp) }, nil
}

// run runs the step once and writes its result file(s) to dir.
func (s *step) run(bin, dir, name, note string) error {
	switch {
	case s.overcast != nil:
		return runOvercast(bin, s.overcast, filepath.Join(dir, name+".json"), note)
	case s.goBench != nil:
		return runGoBench(s.goBench, filepath.Join(dir, name+".json"), note)
	}
	cmd := exec.Command(s.script)
	cmd.Env = append(os.Environ(), "BENCH_JSON_DIR="+dir, "REPEAT=2")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	return addNote(dir, "parallel-*.json", note)
}

// runOvercast runs overcast with args and keeps its JSON, with the note
// added to every object, even when the command failed (a run with a
// failed task prints its results and exits non-zero).
func runOvercast(bin string, args []string, path, note string) error {
	var stdout bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	runErr := cmd.Run()
	var v any
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		return errors.Join(runErr, fmt.Errorf("no JSON on stdout: %w", err))
	}
	withNote(v, note)
	return errors.Join(runErr, writeJSON(path, v))
}

// withNote sets "note" in an object or in each object of an array, and
// in a scaling row's header.
func withNote(v any, note string) {
	if note == "" {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		v["note"] = note
	case []any:
		for _, e := range v {
			withNote(e, note)
		}
	}
}

func addNote(dir, glob, note string) error {
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || note == "" {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		withNote(v, note)
		if err := writeJSON(f, v); err != nil {
			return err
		}
	}
	return nil
}

// runGoBench runs go test with args and keeps its benchmark lines.
func runGoBench(args []string, path, note string) error {
	var stdout bytes.Buffer
	cmd := exec.Command("go", append([]string{"test"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	start := time.Now().UTC()
	m := bench.ThisMachine()
	runErr := cmd.Run()
	os.Stderr.Write(stdout.Bytes())
	bs, err := benchdoc.ParseGoBench(&stdout)
	if err != nil {
		return errors.Join(runErr, err)
	}
	if len(bs) == 0 {
		return errors.Join(runErr, errors.New("no benchmark results"))
	}
	for _, b := range bs {
		if b.Failed {
			runErr = errors.Join(runErr, fmt.Errorf("%s failed: %s", b.Name, b.Error))
		}
	}
	g := benchdoc.GoBench{Kind: benchdoc.KindGoBench, Benchmarks: bs,
		Header: benchdoc.Header{Machine: m, Command: "go test " + strings.Join(args, " "), Time: start.Format(time.RFC3339), Note: note}}
	return errors.Join(runErr, writeJSON(path, g))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
