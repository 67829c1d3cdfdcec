package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/driver"
)

// deployWorker deploys the worker when the backend needs one, as the
// library's Executor.Deploy does.
func (a *app) deployWorker(ctx context.Context, b *backend.Backend) error {
	info, err := b.Deploy(ctx)
	if err != nil || info == nil {
		return err
	}
	a.printNote(info.Note)
	if info.Uploaded {
		a.printf("deployed %s (%.1f MB, sha256 %.12s)", info.Name, float64(info.Bytes)/1e6, info.CodeHash)
	}
	return nil
}

// printNote prints each line of a deploy note on stderr.
func (a *app) printNote(note string) {
	for _, line := range strings.Split(note, "\n") {
		if line != "" {
			a.printf("%s", a.ourName(line))
		}
	}
}

// backendCmd is a command that only needs a backend: deploy and undeploy.
func backendCmd(a *app, use, short string, fu flagUse, do func(ctx context.Context, b *backend.Backend, d driver.Deployer) error) *cobra.Command {
	var name string
	backends := a.backendFlags()
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("%s needs --backend (openwhisk, lambda, ...)", cmd.Name())
			}
			b, err := backends.open(cmd.Context(), name)
			if err != nil {
				return err
			}
			defer b.Close()
			d, ok := b.Driver().(driver.Deployer)
			if !ok {
				return usagef("backend %s needs no deployment", b.Name())
			}
			return do(cmd.Context(), b, d)
		},
	}
	cmd.Flags().StringVar(&name, "backend", "", "the platform: openwhisk, lambda, ...")
	backends.add(cmd.Flags(), fu)
	return cmd
}

func newDeployCmd(a *app) *cobra.Command {
	stdout := a.stdout
	cmd := backendCmd(a, "deploy", "Install or update the worker on a platform (skipped when unchanged); with --backend http, write the files to apply", forDeploy,
		func(ctx context.Context, b *backend.Backend, d driver.Deployer) error {
			info, err := b.Deploy(ctx)
			if err != nil {
				return err
			}
			a.printNote(info.Note)
			if info.CodeHash == "" {
				fmt.Fprintf(stdout, "nothing to deploy: %s on %s serves the running worker already\n", info.Name, b.Name())
				return nil
			}
			state := "unchanged"
			if info.Uploaded {
				state = fmt.Sprintf("uploaded %.1f MB", float64(info.Bytes)/1e6)
			}
			fmt.Fprintf(stdout, "%s on %s: %s (sha256 %s)\n", info.Name, b.Name(), state, info.CodeHash)
			return nil
		})
	return withHTTPDeploy(cmd, a)
}

func newUndeployCmd(a *app) *cobra.Command {
	stdout := a.stdout
	return backendCmd(a, "undeploy", "Remove what deploy installed", forUndeploy,
		func(ctx context.Context, b *backend.Backend, d driver.Deployer) error {
			err := d.Undeploy(ctx)
			switch {
			case errors.Is(err, driver.ErrNotDeployed):
				fmt.Fprintf(stdout, "%s on %s\n", oneLine(err.Error()), b.Name())
				return nil
			case err != nil:
				return fmt.Errorf("undeploy from %s: %w", b.Name(), err)
			}
			fmt.Fprintf(stdout, "removed the worker from %s\n", b.Name())
			return nil
		})
}
