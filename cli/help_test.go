package cli

import (
	"strings"
	"testing"
)

// helpSections splits help output into its sections by title line
// ("Flags:", "OpenWhisk flags:", ...).
func helpSections(out string) map[string]string {
	sections := map[string]string{}
	title := ""
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			title = line
			continue
		}
		sections[title] += line + "\n"
	}
	return sections
}

// TestHelpShowsEachCommandItsFlagsByBackend checks that deploy and
// undeploy list only the flags they use, each backend's in its own section,
// and that run lists every backend's.
func TestHelpShowsEachCommandItsFlagsByBackend(t *testing.T) {
	tests := []struct {
		args     []string
		sections map[string][]string // section title: flags it must list
		absent   []string            // flags the help must not list
	}{
		{[]string{"deploy", "--help"}, map[string][]string{
			"Flags:":           {"--backend"},
			"OpenWhisk flags:": {"--apihost", "--auth", "--action", "--kind", "--memory", "--action-timeout", "--execenv"},
			"Lambda flags:":    {"--function", "--region", "--role", "--arch", "--lambda-memory", "--lambda-timeout"},
		}, []string{"--workers", "--skip-encoding", "--collect", "--concurrency", "--tasks", "Local backend flags:"}},
		{[]string{"undeploy", "--help"}, map[string][]string{
			"Flags:":                         {"--backend"},
			"OpenWhisk flags:":               {"--apihost", "--auth", "--namespace", "--action", "--insecure"},
			"Lambda flags:":                  {"--function", "--region", "--profile"},
			"HTTP workers flags:":            {"--http-auth", "--token-file", "--ca-file"},
			"Lambda and HTTP workers flags:": {"--endpoint"},
		}, []string{"--workers", "--skip-encoding", "--collect", "--kind", "--memory", "--role", "--arch", "--lambda-memory", "--execenv", "--http-concurrency"}},
		{[]string{"invoke", "--help"}, map[string][]string{
			"Flags:":                         {"--input", "--backend", "--json", "--timeout", "--no-deploy"},
			"Local backend flags:":           {"--workers"},
			"OpenWhisk flags:":               {"--apihost", "--auth", "--collect", "--kind"},
			"Lambda flags:":                  {"--function", "--role"},
			"HTTP workers flags:":            {"--http-auth", "--http-concurrency", "--http-payload-limit"},
			"Lambda and HTTP workers flags:": {"--endpoint"},
		}, []string{"--tasks", "--concurrency", "--max-attempts"}},
		{[]string{"jobs", "logs", "--help"}, map[string][]string{
			"Flags:":                         {"--task", "--attempt", "--map", "--json"},
			"OpenWhisk flags:":               {"--apihost", "--auth", "--namespace"},
			"Lambda flags:":                  {"--function", "--region", "--profile"},
			"Lambda and HTTP workers flags:": {"--endpoint"},
		}, []string{"--workers", "--collect", "--kind", "--role", "--backend", "(default -1)"}},
		{[]string{"run", "pi", "--help"}, map[string][]string{
			"Flags:":                         {"--tasks", "--samples", "--concurrency", "--no-progress"},
			"Local backend flags:":           {"--workers", "--skip-encoding"},
			"OpenWhisk flags:":               {"--collect", "--kind", "--apihost"},
			"Lambda flags:":                  {"--function", "--role"},
			"HTTP workers flags:":            {"--http-auth", "--http-concurrency", "--token-file", "--ca-file", "--http-payload-limit"},
			"Lambda and HTTP workers flags:": {"--endpoint"},
		}, nil},
	}
	for _, tt := range tests {
		out, stderr, code := runBin(t, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		got := helpSections(out)
		for title, flags := range tt.sections {
			for _, f := range flags {
				if !strings.Contains(got[title], "  "+f+" ") {
					t.Errorf("%v: section %q lacks %s:\n%s", tt.args, title, f, out)
				}
			}
		}
		for _, f := range tt.absent {
			if strings.Contains(out, f+" ") || strings.Contains(out, f+"\n") {
				t.Errorf("%v lists %s:\n%s", tt.args, f, out)
			}
		}
		if strings.Contains(out, "openwhisk: ") || strings.Contains(out, "lambda: ") {
			t.Errorf("%v: a flag's help still names its backend although its section does:\n%s", tt.args, out)
		}
	}
}
