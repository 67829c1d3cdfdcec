package cli

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"
)

func newJobsServeCmd(store storeFunc, stdout, _ io.Writer) *cobra.Command {
	var addr, token string
	cmd := &cobra.Command{
		Use:   "serve [ID]",
		Short: "Serve the dashboard of journaled jobs (live while they run) until interrupted",
		Long: `Serves a web page listing every journaled job with its state, and each
job's views: the task stream, tasks in flight, throughput, retries and
errors by kind, cold and warm starts, cost and ETA. A job another overcast
process runs shows its counts live and its views once it ends; run
--dashboard shows a running job's views live. GET /api/jobs lists the jobs
as JSON. Only loopback addresses are served without a token.`,
		Example: `  overcast jobs serve
  overcast jobs serve 20261125-093502-24c3de --addr 127.0.0.1:9000
  OVERCAST_DASHBOARD_TOKEN=secret overcast jobs serve --addr 0.0.0.0:8787`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store()
			if err != nil {
				return err
			}
			src := journalSource{st}
			path := "/"
			if len(args) == 1 {
				if _, err := readJob(st, args[0], false); err != nil {
					return err
				}
				path = "/jobs/" + url.PathEscape(args[0])
			}
			u, stop, err := serveDashboard(addr, dashboardToken(token), src, nil)
			if err != nil {
				return err
			}
			defer stop()
			page, _ := url.Parse(u)
			page.Path = path
			fmt.Fprintf(stdout, "serving the dashboard at %s (interrupt to stop)\n", page)
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8787", "address to serve on; a non-loopback one requires a token")
	cmd.Flags().StringVar(&token, "dashboard-token", "", "the token a non-loopback address requires (default $"+dashboardTokenEnv+")")
	return cmd
}
