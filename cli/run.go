package cli

import (
	"context"
	"errors"
	"fmt"
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
	// backends are the backends' flags.
	backends backendFlags
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
	f.backends.add(fs, forRun)
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

func newRunCmd(a *app) *cobra.Command {
	jobs := a.cli.jobs
	cmd := &cobra.Command{
		Use:   "run WORKLOAD [flags]",
		Short: "Run a workload as many parallel tasks",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("run needs a workload (%s)", jobNames(jobs))
			}
			return usagef("unknown workload %q (known: %s)", args[0], jobNames(jobs))
		},
	}
	for _, j := range jobs {
		cmd.AddCommand(newJobCmd(a, j))
	}
	return cmd
}

func newJobCmd(a *app, j *Job) *cobra.Command {
	rf := runFlags{backends: a.backendFlags()}
	var plan Plan
	cmd := &cobra.Command{
		Use:     j.Name,
		Short:   j.Short,
		Example: j.Example,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rf.validate(); err != nil {
				return err
			}
			if plan.Run == nil {
				return fmt.Errorf("job %s: its Setup returned no Run", j.Name)
			}
			rf.args = recordedArgs(cmd)
			return a.runWorkload(cmd.Context(), j.Name, &rf, plan)
		},
	}
	plan = j.Setup(cmd.Flags())
	rf.add(cmd.Flags())
	return cmd
}

func jobNames(jobs []*Job) string {
	s := ""
	for i, j := range jobs {
		if i > 0 {
			s += ", "
		}
		s += j.Name
	}
	return s
}

// checkJobs refuses jobs without a name or Setup, and names taken twice.
func checkJobs(jobs []*Job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j == nil || j.Setup == nil:
			return errors.New("a job has no Setup")
		case !validJobName(j.Name):
			return fmt.Errorf("job name %q: want letters, digits, '-' and '_'", j.Name)
		case seen[j.Name]:
			return fmt.Errorf("two jobs are named %q", j.Name)
		}
		seen[j.Name] = true
	}
	return nil
}

func validJobName(name string) bool {
	if name == "" || name[0] == '-' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (a *app) runWorkload(ctx context.Context, name string, rf *runFlags, plan Plan) error {
	stdout, stderr := a.stdout, a.stderr
	url, err := rf.backends.url(rf.backend)
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
	notes := &notices{w: stderr, name: a.name}
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
	spec := &JobSpec{ID: opts.JobID, Workload: name, Backend: rf.backend, Args: rf.args, Started: time.Now(), Storage: store}
	var journalDone func(result any)
	if opts.Journal, journalDone, err = a.openJournal(spec); err != nil {
		return err
	}
	dash, err := a.startDashboard(rf, name, opts)
	if err != nil {
		return err
	}
	defer dash.close()
	b, err := rf.backends.openURL(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	ex := overcast.NewExecutorFor(b, opts)
	defer ex.Close()
	dash.attach(ex)
	if !rf.noDeploy {
		if err := a.deployWorker(ctx, ex.Backend()); err != nil {
			return err
		}
	}
	if err := a.sizeUp(plan.Size, ex); err != nil {
		return err
	}
	res, err := plan.Run(ctx, ex)
	if progress != nil {
		progress.Wait()
	}
	if res == nil || res.Report == nil {
		var ue *usageError
		switch {
		case err == nil:
			return fmt.Errorf("%s: the job returned no report of its tasks", name)
		case errors.As(err, &ue):
			return err
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	out := &outcome{Result: res, err: err}
	out.workload, out.backend = name, ex.Backend().Name()
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
		hint = "; once it answers, run: " + a.name + " jobs resume " + opts.JobID
	}
	if out.Report.Tasks > 0 && out.Report.Succeeded() == 0 {
		a.printf("%s%s", a.ourName(noAnswer(out)), hint)
		return &exitError{exitFailed}
	}
	if out.err != nil {
		a.printf("%s%s", a.ourName(oneLine(out.err.Error())), hint)
		return &exitError{exitFailed}
	}
	if c := out.Check; c != nil && !c.OK {
		fmt.Fprintf(stderr, "overcast: %s: the answer failed its check (expected %g, error %g)\n", name, c.Expected, c.Error)
		return &exitError{exitFailed}
	}
	return nil
}
