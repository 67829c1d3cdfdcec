package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/worker"
)

// invokeFlags are invoke's own flags; it takes the backends' flags that
// run takes.
type invokeFlags struct {
	backend  string
	input    string
	json     bool
	timeout  time.Duration
	noDeploy bool
	backends backendFlags
}

func (f *invokeFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.input, "input", "{}", "the task's input: JSON, @FILE for a file's, or - for standard input's")
	fs.StringVar(&f.backend, "backend", "local", "where the task runs: local, openwhisk, lambda, http")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of text")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit of the invocation, e.g. 30s (default: none on local, the platform's elsewhere)")
	fs.BoolVar(&f.noDeploy, "no-deploy", false, "do not deploy the worker first; invoke what the platform already has")
	f.backends.add(fs, forRun)
}

func newInvokeCmd(a *app) *cobra.Command {
	f := invokeFlags{backends: a.backendFlags()}
	cmd := &cobra.Command{
		Use:   "invoke TASK [--input JSON] [flags]",
		Short: "Run one task once and print its output, timing and logs (a smoke test)",
		Long: `Invoke runs one registered task (see overcast tasks) once, with no retries,
on any backend, and prints its output, its duration, the platform's id for
the attempt and its logs: OpenWhisk's activation logs, Lambda's log tail.`,
		Example: `  overcast invoke selftest/echo --input '{"n":1,"log":"hello"}'
  overcast invoke pi/sample --input @task.json --backend openwhisk --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("invoke needs one task name (see %s tasks)", a.name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.invoke(cmd.Context(), args[0], &f, cmd.InOrStdin())
		},
	}
	f.add(cmd.Flags())
	return cmd
}

// invoke runs task once with the input the flags give and prints the result.
func (a *app) invoke(ctx context.Context, task string, f *invokeFlags, stdin io.Reader) error {
	stdout := a.stdout
	req, err := invokeRequest(task, f, stdin)
	if err != nil {
		return err
	}
	b, err := f.backends.open(ctx, f.backend)
	if err != nil {
		return err
	}
	defer b.Close()
	if !f.noDeploy {
		if err := a.deployWorker(ctx, b); err != nil {
			return err
		}
	}
	res, err := invokeOnce(ctx, b, req, f.timeout)
	if err != nil {
		return err
	}
	if f.json {
		err = printIndented(stdout, res)
	} else {
		err = printInvoke(stdout, res)
	}
	if err != nil {
		return err
	}
	if res.Error != nil {
		a.printf("task %s failed: %s", task, oneLine(res.Error.Message))
		return &exitError{exitFailed}
	}
	return nil
}

// invokeRequest checks the task name and reads and checks the input.
func invokeRequest(task string, f *invokeFlags, stdin io.Reader) (*worker.Request, error) {
	if !slices.Contains(overcast.Tasks(), task) {
		return nil, usagef("unknown task %q (known: %s)", task, strings.Join(overcast.Tasks(), ", "))
	}
	if f.timeout < 0 {
		return nil, usagef("--timeout must not be negative, got %v", f.timeout)
	}
	input, err := readInput(f.input, stdin)
	if err != nil {
		return nil, err
	}
	return &worker.Request{Task: task, Job: "invoke", Attempt: 1, Input: input}, nil
}

// readInput returns the JSON --input names: the value itself, a file's
// contents (@FILE) or standard input's (-).
func readInput(v string, stdin io.Reader) (json.RawMessage, error) {
	var data []byte
	var err error
	from := "--input"
	switch {
	case v == "-":
		from = "standard input"
		data, err = io.ReadAll(stdin)
	case strings.HasPrefix(v, "@"):
		from = v[1:]
		data, err = os.ReadFile(v[1:])
	default:
		data = []byte(v)
	}
	if err != nil {
		return nil, usagef("--input: %v", err)
	}
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, usagef("%s is not valid JSON: %v", from, err)
	}
	return raw, nil
}

// invokeResult is what invoke prints.
type invokeResult struct {
	Task    string          `json:"task"`
	Backend string          `json:"backend"`
	Output  json.RawMessage `json:"output"`
	Error   *invokeError    `json:"error"`
	// Duration is the attempt's run time in seconds: the worker's own
	// timing when it answered, else the platform's; Billed what the
	// platform bills (0 when unknown); RoundTrip the driver's wait.
	Duration     float64  `json:"duration"`
	Billed       float64  `json:"billed_duration"`
	RoundTrip    float64  `json:"round_trip"`
	ActivationID string   `json:"activation_id"`
	Logs         []string `json:"logs"`
	// LogsNote says why there are no logs, or where they are.
	LogsNote string `json:"logs_note,omitempty"`
}

// invokeError is a failed attempt: the task's own error (its kind) or the
// platform's (its code).
type invokeError struct {
	Kind    string `json:"kind,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// invokeOnce makes one attempt of req. The returned error is one the
// platform gave before the attempt ran (unreachable, not found); a task
// or an attempt that failed is in the result.
func invokeOnce(ctx context.Context, b *backend.Backend, req *worker.Request, timeout time.Duration) (*invokeResult, error) {
	inv := &driver.Invocation{Task: req.Task, Job: req.Job, Attempt: 1}
	actx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
		inv.Deadline = time.Now().Add(timeout)
		req.DeadlineMS = inv.Deadline.UnixMilli()
	}
	payload, err := worker.EncodeRequest(req)
	if err != nil {
		return nil, err
	}
	inv.Payload = payload
	var dispatched atomic.Pointer[string]
	inv.Dispatched = func(id string) { dispatched.Store(&id) }
	start := time.Now()
	act, err := b.Invoke(actx, inv)
	res := &invokeResult{Task: req.Task, Backend: b.Name(), RoundTrip: time.Since(start).Seconds(), Logs: []string{}}
	if err != nil {
		if backend.Code(err) == backend.Canceled && ctx.Err() == nil && actx.Err() != nil {
			err = &backend.Error{Code: backend.DeadlineExceeded, Err: err}
		}
		if backend.Code(err) == backend.DeadlineExceeded && timeout > 0 && actx.Err() != nil {
			// The driver's own words say which request was cut short: noise here.
			err = &backend.Error{Code: backend.DeadlineExceeded, Err: fmt.Errorf("timed out after %v (--timeout)", timeout)}
		}
		id := ""
		if p := dispatched.Load(); p != nil {
			id = *p
		}
		return res, failedAttempt(ctx, b, res, id, start, err)
	}
	res.ActivationID = act.ID
	res.Billed = act.Billed.Seconds()
	if !act.Start.IsZero() && act.End.After(act.Start) {
		res.Duration = act.End.Sub(act.Start).Seconds()
	}
	if err := takeResponse(res, act); err != nil {
		return nil, err
	}
	if res.Error != nil && timeout > 0 && (errors.Is(actx.Err(), context.DeadlineExceeded) ||
		strings.Contains(res.Error.Message, context.DeadlineExceeded.Error())) {
		// The task saw its deadline pass and answered before the driver
		// did; a backend gives the task a deadline a little before the
		// attempt's, so that its answer comes back in time.
		res.Error.Message = fmt.Sprintf("timed out after %v (--timeout): %s", timeout, res.Error.Message)
	}
	res.Logs, res.LogsNote = attemptLogs(ctx, b, act.ID, start, act.Logs)
	return res, nil
}

// takeResponse fills res from the worker's answer in act.
func takeResponse(res *invokeResult, act *driver.Activation) error {
	resp, err := worker.DecodeResponse(act.Payload)
	if err != nil {
		return fmt.Errorf("%s answered: %w", res.Backend, err)
	}
	if s := resp.Stats; s.EndNS > s.StartNS && s.StartNS > 0 {
		res.Duration = time.Duration(s.EndNS - s.StartNS).Seconds()
	}
	if resp.Error != nil {
		res.Error = &invokeError{Kind: resp.Error.Kind, Message: resp.Error.Error()}
		return nil
	}
	res.Output = resp.Output
	return nil
}

// failedAttempt records an attempt the platform failed in res, with the
// attempt's id (the error's, else the one the platform accepted it under)
// and logs, when it ran; it returns err itself when the attempt never ran.
func failedAttempt(ctx context.Context, b *backend.Backend, res *invokeResult, id string, start time.Time, err error) error {
	var ae driver.AttemptError
	code := backend.Code(err)
	if !errors.As(err, &ae) && code != backend.DeadlineExceeded && code != backend.TaskFailed && code != backend.Crashed {
		return err
	}
	res.Error = &invokeError{Code: code.String(), Message: err.Error()}
	var be driver.BilledError
	if errors.As(err, &be) {
		res.Billed = be.BilledDuration().Seconds()
	}
	var tail []string
	if ae != nil {
		id, tail = ae.AttemptID(), ae.AttemptLogs()
	}
	res.ActivationID = id
	res.Logs, res.LogsNote = attemptLogs(ctx, b, id, start, tail)
	if id == "" && res.LogsNote == "the "+b.Name()+" backend keeps no logs" {
		res.LogsNote = "the attempt has no platform id: it did not reach the platform, or the wait ended before the platform named it"
	}
	return nil
}

// logsWait bounds how long invoke waits for an attempt's logs.
const logsWait = 10 * time.Second

// attemptLogs returns the logs of attempt id, which started no earlier
// than since: those the platform returned with it (tail), else those the
// platform keeps; note says why there are none, or where they are.
func attemptLogs(ctx context.Context, b *backend.Backend, id string, since time.Time, tail []string) (lines []string, note string) {
	if len(tail) > 0 {
		return tail, ""
	}
	loc := b.LogLocation(id)
	if id != "" {
		ctx, cancel := context.WithTimeout(ctx, logsWait)
		defer cancel()
		lines, ok, err := b.Logs(ctx, id, since)
		switch {
		case ok && err == nil:
			return orEmpty(lines), ""
		case ok && backend.Code(err) == backend.NotFound:
			return []string{}, withLocation("the platform has no logs of "+id+" (yet): an attempt still running has none", loc)
		case ok:
			return []string{}, withLocation("could not fetch the logs: "+oneLine(err.Error()), loc)
		}
	}
	switch {
	case loc != "":
		return []string{}, loc
	case b.Name() == "local":
		return []string{}, "the local backend keeps no logs: tasks run in this process, and what they print goes to this terminal"
	}
	return []string{}, "the " + b.Name() + " backend keeps no logs"
}

// withLocation adds where the logs are to a note, when known.
func withLocation(note, loc string) string {
	if loc == "" {
		return note
	}
	return note + "; " + loc
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// printInvoke prints an invoke's result as text.
func printInvoke(w io.Writer, r *invokeResult) error {
	fmt.Fprintf(w, "task        %s on %s\n", r.Task, r.Backend)
	if r.Error != nil {
		fmt.Fprintf(w, "error       %s\n", oneLine(r.Error.Message))
	} else {
		fmt.Fprintf(w, "output      %s\n", r.Output)
	}
	fmt.Fprintf(w, "duration    %s\n", invokeTimes(r))
	if r.ActivationID != "" {
		fmt.Fprintf(w, "activation  %s\n", r.ActivationID)
	}
	return printLogs(w, r.Logs, r.LogsNote)
}

// invokeTimes is the duration line: run time, billed time, round trip.
func invokeTimes(r *invokeResult) string {
	ms := func(s float64) string { return fmt.Sprintf("%.1f ms", s*1e3) }
	s := "unknown"
	if r.Duration > 0 {
		s = ms(r.Duration)
	}
	if r.Billed > 0 {
		s += ", billed " + ms(r.Billed)
	}
	return s + "; round trip " + ms(r.RoundTrip)
}

// printLogs prints log lines under a "logs" heading, or the note that
// says why there are none.
func printLogs(w io.Writer, lines []string, note string) error {
	switch {
	case len(lines) > 0:
		fmt.Fprintln(w, "logs")
		for _, l := range lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
		if note != "" {
			fmt.Fprintf(w, "  (%s)\n", note)
		}
	case note != "":
		fmt.Fprintf(w, "logs        none: %s\n", note)
	default:
		fmt.Fprintln(w, "logs        none: the attempt wrote nothing")
	}
	return nil
}
