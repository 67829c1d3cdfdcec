package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestChooseQuickAndOnly(t *testing.T) {
	quick, err := choose(&runOptions{quick: true})
	if err != nil || len(quick) == 0 || len(quick) >= len(steps) {
		t.Fatalf("quick chose %d of %d steps (%v)", len(quick), len(steps), err)
	}
	for _, s := range quick {
		if !s.quick {
			t.Errorf("quick chose %s", s.name)
		}
	}
	only, err := choose(&runOptions{only: "overhead,parallel"})
	if err != nil || len(only) != 2 || only[0].name != "overhead" || only[1].name != "parallel" {
		t.Errorf("only chose %+v (%v)", only, err)
	}
	if _, err := choose(&runOptions{only: "overhead,nothing"}); err == nil {
		t.Error("an unknown step was chosen")
	}
}

func TestStepNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.name] {
			t.Errorf("step %s twice", s.name)
		}
		seen[s.name] = true
	}
}

func TestAddNoteToEveryObject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "parallel-10.json")
	if err := os.WriteFile(path, []byte(`[{"a": 1}, {"b": 2}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := addNote(dir, "parallel-*.json", "busy"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v []map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v) != 2 || v[0]["note"] != "busy" || v[1]["note"] != "busy" {
		t.Errorf("noted %s", b)
	}
}

// Every Go benchmark BENCHMARKS.md gives a section of its own is a step.
func TestSectionBenchmarksAreSteps(t *testing.T) {
	for _, bench := range []string{"ColdInit$", "ColdInitSteps", "FanoutFraction", "SortOnSimS3", "WordcountOnSimS3"} {
		found := false
		for _, s := range steps {
			found = found || (s.once && slices.Contains(s.goBench, bench))
		}
		if !found {
			t.Errorf("no step runs -bench %s once", bench)
		}
	}
}
