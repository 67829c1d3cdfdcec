package cli

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestInvocationsShareNoFlags builds two invocations of one command line,
// as two calls of Run in one process do, and sets the same flags of each
// to different values: neither sees the other's, nor loses its own when
// the other is built.
func TestInvocationsShareNoFlags(t *testing.T) {
	c := New()
	flags := []string{"workers", "apihost", "endpoint", "function", "http-concurrency", "backend"}
	for _, path := range [][]string{{"run", "pi"}, {"invoke"}, {"deploy"}, {"bench", "scaling"}, {"config", "show"}} {
		find := func() *cobra.Command {
			cmd, _, err := c.newApp(io.Discard, io.Discard).newRoot().Find(path)
			if err != nil || cmd.Name() != path[len(path)-1] {
				t.Fatalf("find %v: %v", path, err)
			}
			return cmd
		}
		// each calls fn with every flag of cmd among flags.
		each := func(cmd *cobra.Command, fn func(name string, v interface{ Set(string) error }, get func() string)) {
			n := 0
			for _, name := range flags {
				if f := cmd.Flags().Lookup(name); f != nil {
					n++
					fn(name, f.Value, f.Value.String)
				}
			}
			if n < 2 {
				t.Fatalf("%v has %d of the flags %v", path, n, flags)
			}
		}
		set := func(cmd *cobra.Command, v string) {
			each(cmd, func(name string, f interface{ Set(string) error }, _ func() string) {
				if err := f.Set(v); err != nil {
					t.Fatalf("%v --%s %s: %v", path, name, v, err)
				}
			})
		}
		check := func(cmd *cobra.Command, want, which string) {
			each(cmd, func(name string, _ interface{ Set(string) error }, get func() string) {
				if got := get(); got != want {
					t.Errorf("%v --%s of the %s invocation: %q, want %q", path, name, which, got, want)
				}
			})
		}
		one := find()
		set(one, "1")
		two := find()
		check(one, "1", "first")
		set(two, "2")
		check(one, "1", "first")
		check(two, "2", "second")
	}
}

// TestNoInitRegistries: the command tree is built explicitly, by newRoot;
// no file of the package fills anything in an init function.
func TestNoInitRegistries(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob: %v %v", files, err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
				t.Errorf("%s: func init: build what it registers in newRoot instead", fset.Position(fd.Pos()))
			}
		}
	}
}

// TestWithNameNamesTheProgram: a program's errors, usage lines and the
// hints of its commands (its own, and a backend's) give its name.
func TestWithNameNamesTheProgram(t *testing.T) {
	c := New(WithName("mytool"))
	for _, tt := range []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"run", "nope"}, exitUsage, "", "mytool: unknown workload \"nope\""},
		{[]string{"jobs", "show"}, exitUsage, "", "mytool: mytool jobs show needs one job id (see mytool jobs list)"},
		{[]string{"gen"}, exitUsage, "", "(see mytool gen --help)"},
		{[]string{"tasks"}, exitOK, "workloads (mytool run WORKLOAD):", ""},
		{[]string{"deploy", "--help"}, exitOK, "Usage:\n  mytool deploy [flags]", ""},
		{[]string{"doctor", "--help"}, exitOK, "run mytool deploy\nfirst", ""},
	} {
		var stdout, stderr strings.Builder
		code := c.Run(context.Background(), tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.errs) ||
			strings.Contains(stdout.String()+stderr.String(), "overcast ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, %q and %q, and no overcast", tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.errs)
		}
	}
	a := c.newApp(io.Discard, io.Discard)
	for in, want := range map[string]string{
		"action x not found; deploy it first (overcast deploy --backend openwhisk)": "action x not found; deploy it first (mytool deploy --backend openwhisk)",
		"use overcast jobs resume, or a new job id":                                 "use mytool jobs resume, or a new job id",
		"overcast worker: listening on 127.0.0.1:1":                                 "overcast worker: listening on 127.0.0.1:1",
		"under overcast/ID/ and in ~/.overcast, another overcast process":           "under overcast/ID/ and in ~/.overcast, another overcast process",
	} {
		if got := a.ourName(in); got != want {
			t.Errorf("ourName(%q) = %q, want %q", in, got, want)
		}
	}
	for arg0, want := range map[string]string{"/usr/local/bin/mytool": "mytool", `mytool.exe`: "mytool", "./options": "options", "": "overcast"} {
		if got := programName(arg0); got != want {
			t.Errorf("programName(%q) = %q, want %q", arg0, got, want)
		}
	}
}
