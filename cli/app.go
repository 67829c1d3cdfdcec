package cli

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/overcast-sc/overcast/journal"
)

// app is one invocation of the command line: the program, its name, where
// it prints, and the jobs directory a resume runs in. Run makes a fresh one
// each time, and every command and flag value afresh with it, so that two
// invocations in one process share nothing.
type app struct {
	cli *CLI
	// name is the program's name, which its messages, usage lines and
	// hints give.
	name           string
	stdout, stderr io.Writer
	// resumeDir is, while jobs resume runs a job's recorded command line,
	// the jobs directory the job is in; "" otherwise.
	resumeDir string
}

// printf prints one message line on stderr: "NAME: text".
func (a *app) printf(format string, args ...any) {
	warner(a.name, a.stderr)(format, args...)
}

// warner returns a function printing message lines of program name on w.
func warner(name string, w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(w, "%s: %s\n", name, fmt.Sprintf(format, args...))
	}
}

// commandMention matches a command of every overcast command line as
// texts name it: "overcast COMMAND", and a colon after it when there is
// one.
var commandMention = regexp.MustCompile(`\bovercast (bench|config|deploy|doctor|gen|invoke|jobs|run|sim|tasks|undeploy|validate|version|worker)\b:?`)

// ourName rewrites the commands a text names as "overcast COMMAND" (help
// texts, and the hints of errors from the backends and the journal) to the
// program's own name: a program that calls Main answers them all. The
// prefix of the worker's log lines ("overcast worker: ...") stays: tools
// read it.
func (a *app) ourName(s string) string {
	if a.name == "overcast" || !strings.Contains(s, "overcast ") {
		return s
	}
	return commandMention.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasSuffix(m, ":") {
			return m
		}
		return a.name + strings.TrimPrefix(m, "overcast")
	})
}

// jobsRoot returns the jobs directory: dir when given, else the one a
// resume in progress uses, else $OVERCAST_HOME/jobs or ~/.overcast/jobs.
func (a *app) jobsRoot(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if a.resumeDir != "" {
		return a.resumeDir, nil
	}
	return journal.DefaultRoot()
}

// resuming reports whether this invocation is a jobs resume running its
// job's recorded command line.
func (a *app) resuming() bool {
	return a.resumeDir != ""
}

// backendFlags returns a fresh set of the backends' settings for one of
// the invocation's commands.
func (a *app) backendFlags() backendFlags {
	return newBackendFlags(a.name, a.stderr)
}
