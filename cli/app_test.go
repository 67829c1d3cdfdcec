package cli

import (
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
