package testpeer

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records whether Skipf or Fatalf ran.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msg = format
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestSkip(t *testing.T) {
	for _, tc := range []struct {
		env          string
		skip, failed bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv("REQUIRE_PEERS", tc.env)
		r := &recorder{TB: t}
		Skip(r, "node is not installed")
		if r.skipped != tc.skip || r.failed != tc.failed {
			t.Errorf("REQUIRE_PEERS=%q: skipped %v failed %v, want %v %v", tc.env, r.skipped, r.failed, tc.skip, tc.failed)
		}
		if !strings.Contains(r.msg, "node is not installed") {
			t.Errorf("REQUIRE_PEERS=%q: message %q lacks the reason", tc.env, r.msg)
		}
		if got := Required(); got != tc.failed {
			t.Errorf("REQUIRE_PEERS=%q: Required() = %v", tc.env, got)
		}
	}
}

func TestSkipPeer(t *testing.T) {
	for _, tc := range []struct {
		required, exempt string
		skip, failed     bool
	}{
		{"", "", true, false},
		{"1", "", false, true},
		{"1", "node", false, true},
		{"1", "node, docker", true, false},
		{"", "docker", true, false},
	} {
		t.Setenv("REQUIRE_PEERS", tc.required)
		t.Setenv(ExemptEnv, tc.exempt)
		r := &recorder{TB: t}
		SkipPeer(r, "docker", "no container engine")
		if r.skipped != tc.skip || r.failed != tc.failed {
			t.Errorf("REQUIRE_PEERS=%q %s=%q: skipped %v failed %v, want %v %v", tc.required, ExemptEnv, tc.exempt, r.skipped, r.failed, tc.skip, tc.failed)
		}
		if !strings.Contains(r.msg, "no container engine") {
			t.Errorf("message %q lacks the reason", r.msg)
		}
	}
}
