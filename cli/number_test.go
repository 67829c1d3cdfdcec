package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// eachFlag calls f with every flag of every command of the tree.
func eachFlag(cmd *cobra.Command, f func(cmd *cobra.Command, fl *pflag.Flag)) {
	cmd.Flags().VisitAll(func(fl *pflag.Flag) { f(cmd, fl) })
	for _, c := range cmd.Commands() {
		eachFlag(c, f)
	}
}

// TestEveryCountFlagTakesTheSameForms walks every command: no flag takes
// a plain Go integer (which rejects 1e3 with a strconv error), and every
// count flag takes 1000, 1e3 and 1_000 alike and rejects the rest with one
// clear line.
func TestEveryCountFlagTakesTheSameForms(t *testing.T) {
	n := 0
	eachFlag(New().newApp(io.Discard, io.Discard).newRoot(), func(cmd *cobra.Command, fl *pflag.Flag) {
		name := cmd.CommandPath() + " --" + fl.Name
		switch fl.Value.Type() {
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "intSlice", "uintSlice":
			t.Errorf("%s is a plain %s: it rejects 1e3; make it a count", name, fl.Value.Type())
			return
		case "count":
		default:
			return
		}
		n++
		defer fl.Value.Set(fl.DefValue)
		for _, s := range []string{"1000", "1e3", "1_000", "1.0e3", " 1000 "} {
			if err := fl.Value.Set(s); err != nil || fl.Value.String() != "1000" {
				t.Errorf("%s %q: value %s, error %v; want 1000", name, s, fl.Value.String(), err)
			}
		}
		bad := map[string]string{"1.5": "not a whole number", "-1": "", "1e19": "too large", "1e400": "too large",
			"x": "not a number", "": "empty", "0x10": "not a number"}
		for s, want := range bad {
			err := fl.Value.Set(s)
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "strconv") || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s %q: error %v; want one line with %q", name, s, err, want)
			}
		}
		// Zero is refused unless the help says what it means.
		if err := fl.Value.Set("0"); err == nil {
			if !strings.Contains(fl.Usage, "0 =") && fl.Name != "seed" {
				t.Errorf("%s takes 0 but its help %q does not say what 0 means", name, fl.Usage)
			}
		} else if !strings.Contains(err.Error(), "must be at least 1") {
			t.Errorf("%s 0: %v; want must be at least 1", name, err)
		}
	})
	if n < 15 {
		t.Errorf("found %d count flags; the walk misses commands", n)
	}
}

// TestCountFlagsOnTheCommandLine runs the binary with counts written in
// every form, and with bad ones: a usage error of one line naming the flag.
func TestCountFlagsOnTheCommandLine(t *testing.T) {
	env := []string{"OVERCAST_JOURNAL=off"}
	for _, tasks := range []string{"1e1", "1_0", "10"} {
		out, stderr, code := execBin(t, env, "run", "pi", "--tasks", tasks, "--samples", "1e4", "--concurrency", "2e0",
			"--max-attempts", "1e1", "--workers", "2", "--seed", "1_0", "--no-progress", "--json")
		if code != 0 || !strings.Contains(out, `"tasks": 10,`) {
			t.Fatalf("--tasks %s: exit %d, stdout %s, stderr %s", tasks, code, out, stderr)
		}
	}
	for _, args := range [][]string{
		{"run", "pi", "--tasks", "1.5"}, {"run", "pi", "--workers", "0"}, {"run", "pi", "--workers", "-1"},
		{"run", "primes", "--tasks", "-3"}, {"run", "pi", "--concurrency", "1e30"}, {"run", "pi", "--max-attempts", "0"},
		{"sim", "--per-minute", "-1"}, {"bench", "overhead", "--tasks", "abc"},
	} {
		_, stderr, code := execBin(t, env, args...)
		flag := args[len(args)-2]
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, flag) || strings.Contains(stderr, "strconv") {
			t.Errorf("%v: exit %d, stderr %q; want one usage line naming %s", args, code, stderr, flag)
		}
	}
}
