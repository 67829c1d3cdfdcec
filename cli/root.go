package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

// Version is set at build time with -ldflags "-X github.com/overcast-sc/overcast/cli.Version=v1.2.3".
var Version = "dev"

func (c *CLI) newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "overcast",
		Short: "Run highly parallel jobs as thousands of serverless function calls",
		Long: `Overcast splits a parallel job into many small tasks, runs each as a function
invocation on the local machine, Apache OpenWhisk or AWS Lambda, survives
throttling, crashes and stragglers, and assembles the answer.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetUsageTemplate(usageTemplate(root.UsageTemplate()))
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newRunCmd(c.jobs, stdout, stderr), newTasksCmd(c.jobs, stdout), newVersionCmd(stdout))
	for _, add := range extraCommands {
		root.AddCommand(add(stdout, stderr))
	}
	useProfiles(root)
	return root
}

// extraCommands are added by other files of the package (sim, jobs, bench).
var extraCommands []func(stdout, stderr io.Writer) *cobra.Command

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

func newTasksCmd(jobs []*Job, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "tasks",
		Short: "List the registered tasks, workloads and backends",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(stdout, "workloads (overcast run WORKLOAD):")
			for _, j := range jobs {
				fmt.Fprintf(stdout, "  %-10s %s\n", j.Name, j.Short)
			}
			fmt.Fprintln(stdout, "tasks:")
			for _, t := range overcast.Tasks() {
				fmt.Fprintf(stdout, "  %s\n", t)
			}
			fmt.Fprintf(stdout, "backends: %s\n", strings.Join(backend.Schemes(), ", "))
			return nil
		},
	}
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(stdout, "overcast %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
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
