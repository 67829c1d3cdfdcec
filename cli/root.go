package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
)

// Version is set at build time with -ldflags "-X github.com/overcast-sc/overcast/cli.Version=v1.2.3".
var Version = "dev"

// newRoot builds the invocation's command tree: every command and its
// flags, bound to values of this invocation only.
func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   a.name,
		Short: "Run highly parallel jobs as thousands of serverless function calls",
		Long: `Overcast splits a parallel job into many small tasks, runs each as a function
invocation on the local machine, Apache OpenWhisk or AWS Lambda, survives
throttling, crashes and stragglers, and assembles the answer.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newRunCmd(a),
		newTasksCmd(a),
		newVersionCmd(a),
		newDeployCmd(a),
		newUndeployCmd(a),
		newInvokeCmd(a),
		newDoctorCmd(a),
		newBenchCmd(a),
		newJobsCmd(a),
		newConfigCmd(a),
		newSimCmd(a.stdout, a.stderr),
		newGenCmd(a),
		newValidateCmd(a.stdout, a.stderr),
		newWorkerCmd(a.stdout, a.stderr),
	)
	useProfiles(root, a)
	a.nameTexts(root)
	setUsage(root)
	return root
}

// nameTexts gives every command's texts and flags' help the program's
// name where they name a command as "overcast COMMAND".
func (a *app) nameTexts(cmd *cobra.Command) {
	cmd.Long, cmd.Example = a.ourName(cmd.Long), a.ourName(cmd.Example)
	visit := func(f *pflag.Flag) { f.Usage = a.ourName(f.Usage) }
	cmd.LocalNonPersistentFlags().VisitAll(visit)
	cmd.PersistentFlags().VisitAll(visit)
	for _, sub := range cmd.Commands() {
		a.nameTexts(sub)
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

func newTasksCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tasks",
		Short: "List the registered tasks, workloads and backends",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stdout := a.stdout
			fmt.Fprintf(stdout, "workloads (%s run WORKLOAD):\n", a.name)
			for _, j := range a.cli.jobs {
				fmt.Fprintf(stdout, "  %-10s %s\n", j.Name, j.Short)
			}
			fmt.Fprintln(stdout, "tasks:")
			for _, t := range overcast.Tasks() {
				fmt.Fprintf(stdout, "  %s\n", t)
			}
			fmt.Fprintf(stdout, "backends (--backend NAME, or a backend URL): %s\n", strings.Join(backendNames(), ", "))
			return nil
		},
	}
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.stdout, "%s %s (%s, %s/%s)\n", a.name, version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return Version
}
