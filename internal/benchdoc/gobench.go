package benchdoc

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseGoBench reads the text go test -bench prints: "pkg:" lines name
// the package of the benchmark lines after them, each benchmark line is a
// name, an iteration count and value-unit pairs, and a "--- FAIL:" line
// is a failed run, with the first line logged under it.
func ParseGoBench(r io.Reader) ([]Benchmark, error) {
	var out []Benchmark
	pkg := ""
	var failed *Benchmark // the last failure, waiting for its message
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if failed != nil && failed.Error == "" && strings.HasPrefix(line, "    ") {
			failed.Error = strings.TrimSpace(line)
			continue
		}
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if name, ok := strings.CutPrefix(line, "--- FAIL: Benchmark"); ok {
			name, _, _ = strings.Cut(name, " ")
			out = append(out, Benchmark{Package: pkg, Name: trimProcs("Benchmark" + name), Failed: true})
			failed = &out[len(out)-1]
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue // a benchmark's name printed before its log lines
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue // the name followed by log output, not a result
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("benchmark line without unit pairs: %q", line)
		}
		b := Benchmark{Package: pkg, Name: trimProcs(f[0]), Iterations: n, Metrics: map[string]float64{}}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			b.Metrics[f[i+1]] = v
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// trimProcs drops the -GOMAXPROCS suffix go test adds to a name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// find returns every measurement of benchmark name, across runs.
func (r *Results) find(name string) []benchRun {
	var out []benchRun
	for i := range r.GoBenches {
		g := &r.GoBenches[i]
		for _, b := range g.Benchmarks {
			if b.Name == name {
				out = append(out, benchRun{g, b})
			}
		}
	}
	return out
}

// benchRun is one measurement and the run it came from.
type benchRun struct {
	run *GoBench
	Benchmark
}
