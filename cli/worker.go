package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast/worker"
)

// serveHTTPPlatform is the worker started with no arguments by a platform
// that set PORT or FUNCTIONS_CUSTOMHANDLER_PORT: overcast worker serve with
// its defaults, the token from OVERCAST_TOKEN.
func (c *CLI) serveHTTPPlatform(ctx context.Context) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "overcast worker: started with a platform's port %s and no arguments: serving tasks over HTTP (overcast worker serve)\n", worker.HTTPPort(os.Environ()))
	return c.Run(ctx, []string{"worker", "serve"}, os.Stdout, os.Stderr)
}

func newWorkerCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run this binary as a worker that platforms call",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newWorkerServeCmd(stderr))
	return cmd
}

// serveFlags are the flags of overcast worker serve.
type serveFlags struct {
	addr, tokenFile string
	insecure        bool
	concurrency     int
	maxBody         int64
	grace, timeout  time.Duration
}

func newWorkerServeCmd(stderr io.Writer) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve tasks over HTTP (Knative, Cloud Run, OpenFaaS, Azure Functions, any HTTP endpoint)",
		Long: `Serve the registered tasks over HTTP: POST /invoke (also POST /api/invoke,
where Azure Functions forwards a function named "invoke") takes a task envelope
and answers its result; GET /healthz answers 200 until shutdown.

Every POST needs the token, as "Authorization: Bearer TOKEN" or, where a
platform's own authentication takes the Authorization header (Cloud Run IAM),
as "X-Overcast-Token: TOKEN"; without it the answer is 401 and nothing runs.
The token comes from --token-file or OVERCAST_TOKEN.

Above --concurrency tasks the answer is 429 with Retry-After. On SIGTERM the
worker answers new tasks 503, lets those in flight finish within --grace, and
exits 0. Once listening it prints "overcast worker: listening on HOST:PORT" on
standard error (with --addr 127.0.0.1:0, the port the system chose).

Started with no arguments where PORT or FUNCTIONS_CUSTOMHANDLER_PORT is set
(and no Lambda or OpenWhisk variable), the binary runs this command with its
defaults.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWorkerServe(cmd.Context(), &f, stderr) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "", `address to listen on (default ":$FUNCTIONS_CUSTOMHANDLER_PORT" or ":$PORT" when set, else "127.0.0.1:8080")`)
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the token requests must carry (default: OVERCAST_TOKEN)")
	fs.BoolVar(&f.insecure, "insecure-no-auth", false, "serve tasks to anyone who can reach the address, without a token")
	fs.Var(positive(&f.concurrency, 0), "concurrency", "tasks run at once, 429 above (default GOMAXPROCS, one per core)")
	fs.Var(positive(&f.maxBody, worker.MaxHTTPBody), "max-body", "largest request body in bytes, 413 above")
	fs.DurationVar(&f.grace, "grace", worker.DefaultGrace, "on SIGTERM, how long tasks in flight may take to finish")
	fs.DurationVar(&f.timeout, "task-timeout", worker.DefaultTaskTimeout, "longest a task may run when its envelope sets no earlier deadline")
	return cmd
}

func runWorkerServe(ctx context.Context, f *serveFlags, stderr io.Writer) error {
	opts, err := f.options(stderr)
	if err != nil {
		return err
	}
	srv, err := worker.NewHTTPServer(opts)
	if errors.Is(err, worker.ErrNoToken) {
		return usagef("worker serve: %w", err)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listenAddr())
	if err != nil {
		return fmt.Errorf("worker serve: %w", err)
	}
	fmt.Fprintf(stderr, "overcast worker: listening on %s\n", ln.Addr())
	if err := srv.Serve(worker.InOwnProcess(ctx), ln); err != nil {
		return fmt.Errorf("worker serve: %w", err)
	}
	fmt.Fprintln(stderr, "overcast worker: stopped, every task answered")
	return nil
}

// options turns the flags into the server's options, reading the token.
func (f *serveFlags) options(stderr io.Writer) (worker.HTTPOptions, error) {
	if f.grace <= 0 || f.timeout <= 0 {
		return worker.HTTPOptions{}, usagef("--grace and --task-timeout must be positive")
	}
	token := os.Getenv("OVERCAST_TOKEN")
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return worker.HTTPOptions{}, usagef("--token-file: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return worker.HTTPOptions{}, usagef("--token-file: %s is empty", f.tokenFile)
		}
	}
	if token != "" && f.insecure {
		return worker.HTTPOptions{}, usagef("--insecure-no-auth with a token: give one or the other")
	}
	return worker.HTTPOptions{
		Token: token, Insecure: f.insecure, Concurrency: f.concurrency, MaxBody: f.maxBody,
		TaskTimeout: f.timeout, Grace: f.grace, Logs: stderr,
	}, nil
}

// listenAddr is --addr, or what the platform's port asks for.
func (f *serveFlags) listenAddr() string {
	if f.addr != "" {
		return f.addr
	}
	if port := worker.HTTPPort(os.Environ()); port != "" {
		return ":" + port
	}
	return "127.0.0.1:8080"
}
