package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/deploy"
)

// Bounds of waiting for a function to become Active or Updated.
var (
	waitMinDelay = time.Second
	waitMaxDelay = 5 * time.Second
	waitMax      = 5 * time.Minute
)

// workerBinary finds or builds the worker; tests replace it.
var workerBinary = deploy.WorkerBinary

// maxZip is Lambda's limit on a zip uploaded directly (not through S3).
const maxZip = 50 << 20

// Deploy installs the worker as the function's bootstrap: it creates the
// function, or updates its code only when the platform's CodeSha256
// differs, and waits until the function can be invoked. It is a no-op when
// the options say not to deploy (the default against endpoints).
func (d *Driver) Deploy(ctx context.Context) (*driver.DeployInfo, error) {
	fn := d.opts.Function
	if !d.opts.deploys() {
		return &driver.DeployInfo{Name: fn}, nil
	}
	zip, note, err := d.archive(ctx)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zip)
	info := &driver.DeployInfo{Name: fn, CodeHash: deploy.CodeHash(zip), Bytes: len(zip), Note: note}
	c := d.clients[0]
	got, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		info.Uploaded = true
		return info, d.create(ctx, c, zip)
	case err != nil:
		return nil, d.controlError("get function "+fn, err)
	}
	cfg := got.Configuration
	if cfg == nil {
		return nil, fmt.Errorf("get function %s: no configuration in the answer", fn)
	}
	if cfg.LastUpdateStatus == types.LastUpdateStatusInProgress {
		if err := d.waitUpdated(ctx, c); err != nil {
			return nil, err
		}
	}
	if aws.ToString(cfg.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || !hasArch(cfg.Architectures, d.opts.Arch) {
		info.Uploaded = true
		_, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: zip,
			Architectures: []types.Architecture{types.Architecture(d.opts.Arch)}})
		if err != nil {
			return nil, d.controlError("update function code of "+fn, err)
		}
		if err := d.waitUpdated(ctx, c); err != nil {
			return nil, err
		}
	}
	return info, d.reconfigure(ctx, c, cfg)
}

// workerBinary returns the worker to deploy: Options.Worker, else the
// running program or a build of it.
func (d *Driver) workerBinary(ctx context.Context, dir string) (*deploy.Binary, error) {
	if d.opts.Worker != "" {
		return deploy.Prebuilt(d.opts.Worker, GOARCH(d.opts.Arch))
	}
	return workerBinary(ctx, GOARCH(d.opts.Arch), dir)
}

// archive builds or finds the worker binary and packs it as bootstrap.
func (d *Driver) archive(ctx context.Context) (zip []byte, note string, err error) {
	dir, err := os.MkdirTemp("", "overcast-lambda-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin, err := d.workerBinary(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(bin.Path)
	if err != nil {
		return nil, "", err
	}
	zip, err = deploy.Zip([]deploy.File{{Name: "bootstrap", Data: data, Mode: 0o755}})
	if err != nil {
		return nil, "", err
	}
	if len(zip) > maxZip {
		return nil, "", fmt.Errorf("worker archive is %.1f MB, over Lambda's 50 MB limit for a direct upload", float64(len(zip))/1e6)
	}
	return zip, bin.Note, nil
}

func (d *Driver) create(ctx context.Context, c *lambda.Client, zip []byte) error {
	fn := d.opts.Function
	if d.opts.Role == "" {
		return &Error{Code: driver.InvalidArgument, Msg: fmt.Sprintf(
			"function %s does not exist and creating it needs an execution role: set --role to an execution role ARN; see README and docs/lambda.md for the minimal policy", fn)}
	}
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(fn),
		Runtime:       types.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Role:          aws.String(d.opts.Role),
		Code:          &types.FunctionCode{ZipFile: zip},
		Architectures: []types.Architecture{types.Architecture(d.opts.Arch)},
		MemorySize:    aws.Int32(int32(d.opts.memoryMB())),
		Timeout:       aws.Int32(int32(d.opts.timeout() / time.Second)),
		Description:   aws.String("Overcast worker"),
	})
	if err != nil {
		return d.controlError("create function "+fn, err)
	}
	w := lambda.NewFunctionActiveWaiter(c, func(o *lambda.FunctionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
	})
	if err := w.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)}, waitMax); err != nil {
		return fmt.Errorf("wait for function %s to become active: %w", fn, err)
	}
	return nil
}

// reconfigure sets memory and timeout when they were given and differ.
func (d *Driver) reconfigure(ctx context.Context, c *lambda.Client, cfg *types.FunctionConfiguration) error {
	in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.opts.Function)}
	changed := false
	if m := d.opts.MemoryMB; m > 0 && aws.ToInt32(cfg.MemorySize) != int32(m) {
		in.MemorySize, changed = aws.Int32(int32(m)), true
	}
	if t := int32(d.opts.Timeout / time.Second); t > 0 && aws.ToInt32(cfg.Timeout) != t {
		in.Timeout, changed = aws.Int32(t), true
	}
	if !changed {
		return nil
	}
	if _, err := c.UpdateFunctionConfiguration(ctx, in); err != nil {
		return d.controlError("update function configuration of "+d.opts.Function, err)
	}
	return d.waitUpdated(ctx, c)
}

func (d *Driver) waitUpdated(ctx context.Context, c *lambda.Client) error {
	w := lambda.NewFunctionUpdatedWaiter(c, func(o *lambda.FunctionUpdatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
	})
	if err := w.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(d.opts.Function)}, waitMax); err != nil {
		return fmt.Errorf("wait for function %s to finish updating: %w", d.opts.Function, err)
	}
	return nil
}

// Undeploy deletes the function. A function already gone
// (ResourceNotFound), or options that never deploy (an emulator's
// endpoint), give an error wrapping driver.ErrNotDeployed.
func (d *Driver) Undeploy(ctx context.Context) error {
	if !d.opts.deploys() {
		return fmt.Errorf("%w: overcast deploys no function to an endpoint (deploy=false)", driver.ErrNotDeployed)
	}
	_, err := d.clients[0].DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(d.opts.Function)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return fmt.Errorf("%w: function %s does not exist", driver.ErrNotDeployed, d.opts.Function)
	case err != nil:
		return d.controlError("delete function "+d.opts.Function, err)
	}
	return nil
}

func hasArch(archs []types.Architecture, want string) bool {
	if len(archs) == 0 {
		return want == "x86_64" // Lambda's default
	}
	return string(archs[0]) == want
}

// controlError classifies a control-plane error, keeping what was tried.
func (d *Driver) controlError(what string, err error) error {
	var e *Error
	if errors.As(d.classify(err, nil), &e) && e.Code != driver.NotFound {
		e.Msg = what + ": " + e.Msg
		if e.Code == driver.PermissionDenied && !isCredentials(err) {
			e.Msg = what + ": AWS refused the request; the caller needs the policy in docs/lambda.md"
		}
		return e
	}
	return fmt.Errorf("%s: %w", what, err)
}
