package benchdoc

import (
	"os"
	"testing"
)

// BENCHMARKS.md is exactly what the committed results give: a number in
// it that no result file holds fails here.
func TestBenchmarksDocumentIsGenerated(t *testing.T) {
	r, err := Load("../../bench/results")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Fill(string(doc), Sections(r))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(doc) {
		t.Error("BENCHMARKS.md is not what bench/results gives: run go run ./scripts/benchmarks")
	}
}
