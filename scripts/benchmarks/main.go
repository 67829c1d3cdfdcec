// Command benchmarks writes the tables of BENCHMARKS.md from the result
// files in bench/results, and with -run measures them first:
//
//	go run ./scripts/benchmarks            # regenerate BENCHMARKS.md from bench/results
//	go run ./scripts/benchmarks -check     # fail if BENCHMARKS.md is not what the results give
//	go run ./scripts/benchmarks -run       # run every benchmark, replace bench/results, regenerate
//	go run ./scripts/benchmarks -run -quick -note "shared machine"
//
// Run it from the repository's root.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/overcast-sc/overcast/internal/benchdoc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

func run() error {
	var o runOptions
	results := flag.String("results", "bench/results", "directory of result files (*.json)")
	doc := flag.String("doc", "BENCHMARKS.md", "document whose generated sections are rewritten")
	check := flag.Bool("check", false, "only check that the document is what the results give")
	measure := flag.Bool("run", false, "run the benchmarks first, replacing the result files")
	flag.BoolVar(&o.quick, "quick", false, "with -run: only the fan-out and weak-scaling runs on the sim, once")
	flag.BoolVar(&o.keep, "keep", false, "with -run: keep the result files already there")
	flag.IntVar(&o.repeat, "repeat", 3, "with -run: times each overcast bench command runs")
	flag.StringVar(&o.note, "note", "", "with -run: how the machine was loaded, written into every result")
	flag.StringVar(&o.only, "only", "", "with -run: comma-separated step names to run (see -list)")
	list := flag.Bool("list", false, "list the steps -run runs")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *list {
		for _, s := range steps {
			fmt.Printf("%-22s %s\n", s.name, s.describe())
		}
		return nil
	}
	if o.repeat < 1 {
		return fmt.Errorf("-repeat must be at least 1, got %d", o.repeat)
	}
	if *measure {
		if err := runSteps(*results, &o); err != nil {
			return err
		}
	}
	return generate(*results, *doc, *check)
}

// generate rewrites doc's sections from the results, or with check only
// compares.
func generate(results, doc string, check bool) error {
	r, err := benchdoc.Load(results)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	out, err := benchdoc.Fill(string(old), benchdoc.Sections(r))
	if err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	if check {
		if out != string(old) {
			return fmt.Errorf("%s is not what %s gives: run go run ./scripts/benchmarks", doc, results)
		}
		return nil
	}
	return os.WriteFile(doc, []byte(out), 0o644)
}
