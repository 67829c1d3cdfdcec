package cli

import (
	"regexp"
	"strings"
	"testing"
)

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 retries"}, {1, "1 retry"}, {2, "2 retries"}} {
		if got := plural(tt.n, "retry", "retries"); got != tt.want {
			t.Errorf("plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// wrongPlural matches "1 tasks", "1 invocations", "1 retries" and kin.
var wrongPlural = regexp.MustCompile(`\b1 (tasks|invocations|retries|runs|jobs|attempts|cold starts)\b|\(s\)`)

// TestHumanOutputOfOne runs one task on the local backend: singular nouns,
// no cold starts (the local backend has none), and failures in JSON as an
// empty list.
func TestHumanOutputOfOne(t *testing.T) {
	env, _ := homeEnv(t)
	out, stderr, code := binIn(t, env, "run", "pi", "--tasks", "1", "--samples", "1e4", "--concurrency", "1", "--job-id", "one")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	show, stderr, code := binIn(t, env, "jobs", "show", "one")
	if code != 0 {
		t.Fatalf("jobs show: exit %d: %s", code, stderr)
	}
	for what, text := range map[string]string{"run": out, "jobs show": show} {
		if m := wrongPlural.FindString(text); m != "" {
			t.Errorf("%s says %q:\n%s", what, m, text)
		}
		if strings.Contains(text, "cold start") {
			t.Errorf("%s reports cold starts on the local backend:\n%s", what, text)
		}
		if !strings.Contains(text, "1 invocation:") {
			t.Errorf("%s lacks \"1 invocation:\":\n%s", what, text)
		}
	}
	for _, want := range []string{"up to 1 task in flight", "0 retries"} {
		if !strings.Contains(out, want) {
			t.Errorf("run lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(show, "1 run,") {
		t.Errorf("jobs show lacks \"1 run,\":\n%s", show)
	}
	for _, args := range [][]string{{"run", "pi", "--tasks", "2", "--samples", "1e4", "--json"}, {"jobs", "show", "one", "--json"}} {
		out, stderr, code := binIn(t, env, args...)
		v := decode[map[string]any](t, out, strings.Join(args, " "))
		if f, ok := v["failures"].([]any); code != 0 || !ok || len(f) != 0 {
			t.Errorf("%v: exit %d (%s), failures %#v; want an empty list", args, code, stderr, v["failures"])
		}
		if v["cold_starts"] != 0.0 {
			t.Errorf("%v: cold_starts %v on the local backend, want 0", args, v["cold_starts"])
		}
	}
}
