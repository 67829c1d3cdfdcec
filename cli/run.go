package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/report"
	"github.com/overcast-sc/overcast/storage"
)

// runFlags are the flags every workload takes.
type runFlags struct {
	backend         string
	concurrency     int
	json            bool
	noProgress      bool
	timeout         time.Duration
	maxAttempts     int
	outageWait      time.Duration
	retryTaskErrors bool
	jobID           string
	noDeploy        bool
	storage         string
	// dashboard and dashboardToken serve the run's dashboard (cli/dashboard.go).
	dashboard, dashboardToken string
	// args is the command line as flags the user set, without secrets,
	// for the journal (so that jobs resume can run it again).
	args []string
}

// secretFlags are never written to a journal or printed.
var secretFlags = map[string]bool{"auth": true, "dashboard-token": true}

// recordedArgs returns the flags the user or a profile set, as
// --name=value, minus secrets and the job id.
func recordedArgs(cmd *cobra.Command) []string {
	var args []string
	visitGiven(cmd.Flags(), func(f *pflag.Flag) {
		if !isSecret(f.Name) && f.Name != "job-id" && f.Name != "json" && f.Name != "dashboard" {
			v := withoutUserinfo(f.Value.String())
			if f.Name == "storage" {
				v = storage.Redact(f.Value.String())
			}
			args = append(args, "--"+f.Name+"="+v)
		}
	})
	return args
}

// withoutUserinfo drops credentials written into URLs ("https://user:key@host").
func withoutUserinfo(v string) string {
	var parts []string
	for _, s := range strings.Split(v, ",") {
		if u, err := url.Parse(s); err == nil && u.User != nil && u.Host != "" {
			u.User = nil
			s = u.String()
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// JobSpec is what the journal keeps about how a job was started.
type JobSpec struct {
	ID       string    `json:"id"`
	Workload string    `json:"workload"`
	Backend  string    `json:"backend"`
	Args     []string  `json:"args"`
	Started  time.Time `json:"started"`
	// Storage is the job's bucket URL (--storage or OVERCAST_STORAGE).
	Storage string `json:"storage,omitempty"`
}

// journalHook, when set (by cli/jobs.go), opens the journal of a run and
// returns a function to call with the run's outcome when it ends.
var journalHook func(spec *JobSpec) (overcast.Journal, func(result any), error)

func (f *runFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.backend, "backend", "local", "where tasks run: local, openwhisk, lambda, http, ... (see overcast tasks)")
	fs.Var(positive(&f.concurrency, 0), "concurrency", "bound on tasks in flight (default: the backend's capacity); on every backend fewer go while the platform throttles")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of text")
	fs.BoolVar(&f.noProgress, "no-progress", false, "never draw a progress bar")
	fs.DurationVar(&f.timeout, "timeout", 0, "per-task time limit, e.g. 30s (default: none on local, the platform's elsewhere)")
	fs.Var(positive(&f.maxAttempts, 10), "max-attempts", "attempts per task for retryable platform errors")
	fs.DurationVar(&f.outageWait, "outage-wait", overcast.DefaultOutageWait, "how long to wait for a platform that cannot be reached before stopping the job (0: stop at once)")
	fs.BoolVar(&f.retryTaskErrors, "retry-task-errors", false, "also retry tasks that failed on their own")
	fs.StringVar(&f.jobID, "job-id", "", "use this job id (default: a fresh one)")
	fs.BoolVar(&f.noDeploy, "no-deploy", false, "do not deploy the worker first; invoke what the platform already has")
	fs.StringVar(&f.storage, "storage", "", "object storage for the job's data and for payloads over the backend's limit: file:///dir, mem://name or s3://bucket?endpoint=...&region=... (default $"+storageEnv+")")
	fs.StringVar(&f.dashboard, "dashboard", "", "serve a live dashboard of the job at this address, e.g. 127.0.0.1:8787")
	fs.StringVar(&f.dashboardToken, "dashboard-token", "", "the token a dashboard on a non-loopback address requires (default $"+dashboardTokenEnv+")")
	addBackendFlags(fs, forRun)
}

func (f *runFlags) validate() error {
	if f.timeout < 0 {
		return usagef("--timeout must not be negative, got %v", f.timeout)
	}
	if f.outageWait < 0 {
		return usagef("--outage-wait must not be negative, got %v", f.outageWait)
	}
	return nil
}

// workload is one subcommand of run.
type workload struct {
	name, short, example string
	// flags adds the workload's flags and returns the function that runs
	// it and the one that sizes it (see sizer).
	flags func(fs *pflag.FlagSet) (startFunc, sizer)
}

// startFunc runs a workload on ex.
type startFunc func(ctx context.Context, ex *overcast.Executor) (*outcome, error)

var workloads []*workload

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run WORKLOAD [flags]",
		Short: "Run a workload as many parallel tasks",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("run needs a workload (%s)", workloadNames())
			}
			return usagef("unknown workload %q (known: %s)", args[0], workloadNames())
		},
	}
	for _, w := range workloads {
		cmd.AddCommand(newWorkloadCmd(w, stdout, stderr))
	}
	return cmd
}

func newWorkloadCmd(w *workload, stdout, stderr io.Writer) *cobra.Command {
	var rf runFlags
	var start startFunc
	var size sizer
	cmd := &cobra.Command{
		Use:     w.name,
		Short:   w.short,
		Example: w.example,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.validate(); err != nil {
				return err
			}
			rf.args = recordedArgs(cmd)
			return runWorkload(cmd.Context(), w, &rf, start, size, stdout, stderr)
		},
	}
	start, size = w.flags(cmd.Flags())
	rf.add(cmd.Flags())
	return cmd
}

func workloadNames() string {
	s := ""
	for i, w := range workloads {
		if i > 0 {
			s += ", "
		}
		s += w.name
	}
	return s
}

func runWorkload(ctx context.Context, w *workload, rf *runFlags, start startFunc, size sizer, stdout, stderr io.Writer) error {
	url, err := backendURL(rf.backend)
	if err != nil {
		return err
	}
	store, err := storageURL(ctx, rf.storage)
	if err != nil {
		return err
	}
	opts := &overcast.Options{Concurrency: rf.concurrency, MaxAttempts: rf.maxAttempts,
		RetryTaskErrors: rf.retryTaskErrors, TaskTimeout: rf.timeout, JobID: rf.jobID, OutageWait: rf.outageWait, Storage: store}
	if rf.outageWait == 0 {
		opts.OutageWait = -1 // stop at once
	}
	// Notices of an unreachable platform reach stderr whatever the
	// progress settings; above the bar when there is one.
	notes := &notices{w: stderr}
	opts.Reporter = notes
	var progress *report.Progress
	if !rf.noProgress && isatty.IsTerminal(os.Stderr.Fd()) && stderr == os.Stderr {
		progress = report.NewProgress(stderr)
		notes.w = progress
		opts.Reporter = reporters{progress, notes}
	}
	if opts.JobID == "" {
		opts.JobID = overcast.NewJobID()
	}
	var journalDone func(result any)
	if journalHook != nil {
		spec := &JobSpec{ID: opts.JobID, Workload: w.name, Backend: rf.backend, Args: rf.args, Started: time.Now(), Storage: store}
		if opts.Journal, journalDone, err = journalHook(spec); err != nil {
			return err
		}
	}
	dash, err := startDashboard(rf, w.name, opts, stderr)
	if err != nil {
		return err
	}
	defer dash.close()
	b, err := openURL(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	ex := overcast.NewExecutorFor(b, opts)
	defer ex.Close()
	dash.attach(ex)
	if !rf.noDeploy {
		if err := deployWorker(ctx, ex.Backend(), stderr); err != nil {
			return err
		}
	}
	printEstimate(stderr, size, ex)
	out, err := start(withJobID(ctx, opts.JobID), ex)
	if progress != nil {
		progress.Wait()
	}
	if err != nil && out == nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return err
		}
		return fmt.Errorf("%s: %w", w.name, err)
	}
	out.workload, out.backend = w.name, ex.Backend().Name()
	out.interrupted = ctx.Err() != nil
	if journalDone != nil {
		journalDone(toJSON(out))
	}
	dash.end(toJSON(out))
	if rf.json {
		err = printJSON(stdout, out)
	} else {
		err = printHuman(stdout, out)
	}
	if err != nil {
		return err
	}
	// A job stopped by an outage is left for a resume.
	hint := ""
	var oe *overcast.OutageError
	if errors.As(out.err, &oe) && journalDone != nil {
		hint = "; once it answers, run: overcast jobs resume " + opts.JobID
	}
	if out.report.Tasks > 0 && out.report.Succeeded() == 0 {
		fmt.Fprintf(stderr, "overcast: %s%s\n", noAnswer(out), hint)
		return &exitError{exitFailed}
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "overcast: %s%s\n", oneLine(out.err.Error()), hint)
		return &exitError{exitFailed}
	}
	return nil
}
