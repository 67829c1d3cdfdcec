package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/journal"
	"github.com/overcast-sc/overcast/report"
)

func newJobsPlotCmd(store storeFunc, stdout io.Writer) *cobra.Command {
	var out, format string
	cmd := &cobra.Command{
		Use:   "plot ID",
		Short: "Draw a job's timeline and task-duration histogram (PNG or SVG)",
		Example: `  overcast jobs plot 20261125-093502-24c3de                 # writes ID-timeline.png and ID-durations.png
  overcast jobs plot ID --out docs/run --format svg`,
		Args: exactlyOneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "png" && format != "svg" {
				return usagef("--format must be png or svg, got %q", format)
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
				return fmt.Errorf("job %s is still running; plot it when it ends", j.ID)
			}
			prefix := out
			if prefix == "" {
				prefix = j.ID
			}
			return plotJob(j, prefix, format, stdout)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file name prefix (default: the job id, in the current directory)")
	cmd.Flags().StringVar(&format, "format", "png", "png or svg")
	return cmd
}

func plotJob(j *journal.Job, prefix, format string, stdout io.Writer) error {
	if len(j.Maps) == 0 {
		return fmt.Errorf("job %s has no tasks recorded", j.ID)
	}
	for _, m := range j.Maps {
		r := mapReport(j, m)
		name := prefix
		if len(j.Maps) > 1 {
			name = fmt.Sprintf("%s-map%d", prefix, m.Seq)
		}
		files := []struct {
			path string
			draw func(*overcast.Report, string) error
		}{{name + "-timeline." + format, report.Timeline}, {name + "-durations." + format, report.Histogram}}
		for _, f := range files {
			if err := f.draw(r, f.path); err != nil {
				return err
			}
			fmt.Fprintln(stdout, filepath.Clean(f.path))
		}
	}
	return nil
}

// mapReport rebuilds the scheduler's report of one Map from the journal.
func mapReport(j *journal.Job, m *journal.Map) *overcast.Report { return j.Report(m) }

// jobCost estimates what a journaled job used and cost, over every run.
func jobCost(j *journal.Job) *costJSON {
	u := report.Usage{Measured: true, MemoryMB: assumedMemoryMB}
	for _, m := range j.Maps {
		if m.Summary != nil && m.Tasks == nil {
			u.Add(m.Summary.Usage)
			continue
		}
		u.Add(report.MeasureUsage(mapReport(j, m), assumedMemoryMB))
	}
	return newCostJSON(u)
}

func printCost(w io.Writer, c *costJSON) {
	how := "billed"
	if !c.Measured {
		how = fmt.Sprintf("task time at %d MB where not billed", c.MemoryMB)
	}
	costs := c.costs()
	fmt.Fprintf(w, "cost     %.4g GB-s (%s), %s: %s\n", c.GBSeconds, how, plural(c.Invocations, "invocation", "invocations"),
		strings.TrimSpace(report.FormatCosts(costs)))
	if c.FailedInvocations > 0 {
		fmt.Fprintf(w, "         of which failed attempts %.4g GB-s, %s: %s\n", c.FailedGBSeconds, plural(c.FailedInvocations, "invocation", "invocations"),
			report.FormatCostsOf(costs, func(c report.Cost) float64 { return c.FailedUSD }))
	}
	if c.LosingInvocations > 0 {
		fmt.Fprintf(w, "         of which losing copies %.4g GB-s, %s: %s\n", c.LosingGBSeconds, plural(c.LosingInvocations, "invocation", "invocations"),
			report.FormatCostsOf(costs, func(c report.Cost) float64 { return c.LosingUSD }))
	}
}
