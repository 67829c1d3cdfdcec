package cli

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// knownRE finds the list of an unknown-backend error.
var knownRE = regexp.MustCompile(`unknown backend "nosuch" \(known: (.*), or a backend URL\)\n$`)

// TestBackendListsAreWhatBackendTakes: tasks lists the names --backend
// takes, each once and every one taken (not URL schemes such as https);
// an unknown --backend lists exactly those names, and bench's the sim too.
func TestBackendListsAreWhatBackendTakes(t *testing.T) {
	out, _, code := runInProcess(t, "tasks")
	_, list, ok := strings.Cut(out, "backends (--backend NAME, or a backend URL): ")
	if code != 0 || !ok {
		t.Fatalf("tasks: exit %d, no backends line:\n%s", code, out)
	}
	names := strings.Split(strings.TrimSpace(list), ", ")
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) || slices.Contains(names, "https") {
		t.Errorf("tasks lists backends %q; want each name --backend takes once, sorted", names)
	}
	var b backendFlags
	for _, n := range names {
		if _, err := b.url(n); err != nil && strings.Contains(err.Error(), "unknown backend") {
			t.Errorf("tasks lists %q, which --backend does not take: %v", n, err)
		}
	}
	benchNames := slices.Sorted(slices.Values(append(slices.Clone(names), "sim")))
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "pi", "--backend", "nosuch"}, names},
		{[]string{"invoke", "selftest/echo", "--backend", "nosuch"}, names},
		{[]string{"deploy", "--backend", "nosuch"}, names},
		{[]string{"bench", "fanout", "--backend", "nosuch"}, benchNames},
		{[]string{"bench", "scaling", "--backend", "nosuch"}, benchNames},
	} {
		_, stderr, code := runInProcess(t, tt.args...)
		m := knownRE.FindStringSubmatch(stderr)
		if code != exitUsage || m == nil || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line listing the backends", tt.args, code, stderr)
			continue
		}
		if got := strings.Split(m[1], ", "); !slices.Equal(got, tt.want) {
			t.Errorf("%v lists %q, want %q", tt.args, got, tt.want)
		}
	}
}
