package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/deploy/httpdeploy"
)

// httpDeployTitle is the help section of deploy's flags for HTTP function
// platforms.
const httpDeployTitle = "HTTP function platforms (deploy --backend http)"

// httpDeployFlags are deploy's settings for --backend http, which writes
// files for the user to apply instead of calling a platform.
type httpDeployFlags struct {
	target, output, image, service, base string
	cpu, concurrency                     int
	timeout                              time.Duration
}

// add registers the flags on deploy's flag set, in their own help section.
func (f *httpDeployFlags) add(fs *pflag.FlagSet) {
	own := pflag.NewFlagSet("http deploy", pflag.ContinueOnError)
	targets := make([]string, len(httpdeploy.Targets))
	for i, t := range httpdeploy.Targets {
		targets[i] = string(t)
	}
	own.StringVar(&f.target, "target", "", "the platform to write files for: "+strings.Join(targets, ", ")+" (the worker is linux/amd64 unless --arch arm64)")
	own.StringVar(&f.output, "output", "", "the directory to write the files and the worker binary into (created)")
	own.StringVar(&f.image, "image", "", "the image to build, push and run, e.g. ghcr.io/you/overcast-worker:1 (all targets but azure)")
	own.StringVar(&f.service, "service", "", `the service, function or function app name (default "overcast")`)
	own.StringVar(&f.base, "base", "", "the image's base (default "+httpdeploy.DefaultBase+"; scratch has no CA certificates)")
	own.Var(positive(&f.cpu, 0), "cpu", "vCPUs of one instance, 1-8 (default 1; memory 512 MiB per vCPU)")
	own.Var(positive(&f.concurrency, 0), "instance-concurrency", "tasks one instance runs at once, told to both the platform and the worker (default 80 on cloudrun, else 2 per vCPU)")
	own.DurationVar(&f.timeout, "request-timeout", 0, "the longest task request (default 5m, on azure 3m50s; at most 10m on knative, 3m50s on azure, 1h otherwise)")
	own.VisitAll(func(fl *pflag.Flag) {
		setGroup(fl, httpDeployTitle)
		fs.AddFlag(fl)
	})
}

// withHTTPDeploy makes deploy write files for an HTTP function platform
// when its backend is http: no platform is called, so no driver is
// opened. Its flags are refused with any other backend.
func withHTTPDeploy(cmd *cobra.Command, a *app) *cobra.Command {
	f := &httpDeployFlags{}
	f.add(cmd.Flags())
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		name, _ := c.Flags().GetString("backend")
		http := name == "http"
		var mine, others []string
		c.Flags().Visit(func(fl *pflag.Flag) {
			g := fl.Annotations[groupAnnotation]
			switch {
			case len(g) == 1 && g[0] == httpDeployTitle:
				mine = append(mine, "--"+fl.Name)
			case len(g) == 1 && fl.Name != "arch":
				others = append(others, "--"+fl.Name)
			}
		})
		switch {
		case http && len(others) > 0:
			return usagef("%s: not used by deploy --backend http, which writes files (see the %s flags)", strings.Join(others, ", "), httpDeployTitle)
		case http:
			return f.deploy(c.Context(), a, c.Flags())
		case len(mine) > 0:
			return usagef("%s: only for deploy --backend http", strings.Join(mine, ", "))
		}
		return run(c, args)
	}
	return cmd
}

// deploy writes the files and prints what to run next.
func (f *httpDeployFlags) deploy(ctx context.Context, a *app, fs *pflag.FlagSet) error {
	if f.target == "" || f.output == "" {
		return usagef("deploy --backend http writes files for you to apply: it needs --target (%s) and --output DIR", targetNames())
	}
	target, err := httpdeploy.ParseTarget(f.target)
	if err != nil {
		return usagef("--target: %v", err)
	}
	goarch, err := httpArch(fs)
	if err != nil {
		return err
	}
	o := httpdeploy.Options{Target: target, Dir: f.output, GOARCH: goarch, Image: f.image, Base: f.base,
		Service: f.service, CPU: f.cpu, Concurrency: f.concurrency, Timeout: f.timeout}
	if err := httpdeploy.Check(o); err != nil {
		return usagef("deploy --target %s: %v", target, err)
	}
	tmp, err := os.MkdirTemp("", "overcast-deploy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := deploy.WorkerBinary(ctx, goarch, tmp)
	if err != nil {
		return err
	}
	a.printNote(bin.Note)
	o.Binary = bin.Path
	r, err := httpdeploy.Write(o)
	if err != nil {
		return fmt.Errorf("deploy --target %s: %w", target, err)
	}
	printHTTPDeploy(a.stdout, r, a.ourName)
	return nil
}

// httpArch is the worker's architecture from --arch (which the lambda
// backend registers on deploy too): amd64 unless it says arm64.
func httpArch(fs *pflag.FlagSet) (string, error) {
	arch := ""
	if fl := fs.Lookup("arch"); fl != nil {
		arch = fl.Value.String()
	}
	switch arch {
	case "", "amd64", "x86_64":
		return "amd64", nil
	case "arm64", "aarch64":
		return "arm64", nil
	}
	return "", usagef("--arch must be amd64 (x86_64) or arm64, got %q", arch)
}

func targetNames() string {
	s := make([]string, len(httpdeploy.Targets))
	for i, t := range httpdeploy.Targets {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// printHTTPDeploy prints what was written and the commands to run next,
// named by ourName.
func printHTTPDeploy(w io.Writer, r *httpdeploy.Result, ourName func(string) string) {
	o := r.Options
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		dir = o.Dir
	}
	fmt.Fprintf(w, "wrote %s for %s: %s (worker binary, linux/%s, %.1f MB)\n",
		dir, o.Target, strings.Join(r.Files, ", "), o.GOARCH, float64(r.BinaryBytes)/1e6)
	fmt.Fprintf(w, "%d tasks at once per instance, request timeout %v, the credential from the secret %s\n",
		o.Concurrency, o.Timeout, httpdeploy.SecretName)
	fmt.Fprintf(w, "\nnext, with %s set to the workers' credential (e.g. export %s=$(openssl rand -hex 32)):\n",
		httpdeploy.TokenEnv, httpdeploy.TokenEnv)
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  %s\n", ourName(s))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
