package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast/dashboard"
)

func newJobsReportCmd(store storeFunc, stdout io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report ID --output FILE.html",
		Short: "Write a job's dashboard as one self-contained HTML file",
		Long: `Writes the views of the live dashboard (task stream, tasks in flight,
throughput, retries and errors by kind, cold and warm starts, cost) as one
HTML file that needs nothing else: no network, no other file.`,
		Example: `  overcast jobs report 20261125-093502-24c3de --output report.html`,
		Args:    exactlyOneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("jobs report needs --output FILE.html")
			}
			st, err := store()
			if err != nil {
				return err
			}
			j, err := readJob(st, args[0], true)
			if err != nil {
				return err
			}
			if j.Live {
				return fmt.Errorf("job %s is still running; report it when it ends, or watch it with overcast jobs serve", j.ID)
			}
			if err := writeReport(out, dashboard.FromJournal(j)); err != nil {
				return err
			}
			fmt.Fprintln(stdout, filepath.Clean(out))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the HTML file to write")
	return cmd
}

// writeReport writes d's report to path, replacing it only once it is
// whole.
func writeReport(path string, d *dashboard.Job) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*.html")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := dashboard.WriteReport(tmp, d); err != nil {
		tmp.Close()
		return fmt.Errorf("write report: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
