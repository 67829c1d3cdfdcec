package openwhisk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/deploy"
)

// CodeHashAnnotation holds the SHA-256 of the action's archive, so that a
// second deploy of the same code skips the upload.
const CodeHashAnnotation = "overcast-code-sha256"

// workerBinary finds or builds the worker; tests replace it.
var workerBinary = deploy.WorkerBinary

// workerBinary returns the worker to deploy: Options.Worker, else the
// running program or a build of it.
func (d *Driver) workerBinary(ctx context.Context, dir string) (*deploy.Binary, error) {
	if d.opts.Worker != "" {
		return deploy.Prebuilt(d.opts.Worker, d.opts.GOARCH)
	}
	return workerBinary(ctx, d.opts.GOARCH, dir)
}

// archive builds the action's zip from the worker binary.
// It returns the archive and a note for the user (a cross build).
func (d *Driver) archive(ctx context.Context, k *kind) ([]byte, string, error) {
	dir, err := os.MkdirTemp("", "overcast-openwhisk-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin, err := d.workerBinary(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	exe, err := os.ReadFile(bin.Path)
	if err != nil {
		return nil, "", fmt.Errorf("read the worker binary: %w", err)
	}
	files := []deploy.File{{Name: "exec", Data: exe, Mode: 0o755}}
	if k.execEnv != "" {
		files = append(files, deploy.File{Name: "exec.env", Data: []byte(k.execEnv), Mode: 0o644})
	}
	zip, err := deploy.Zip(files)
	return zip, bin.Note, err
}

// Deploy installs the worker as the action, or leaves it when the platform
// already holds the same code with the same settings. Within one driver,
// only the first call does any work.
func (d *Driver) Deploy(ctx context.Context) (*driver.DeployInfo, error) {
	d.deployMu.Lock()
	defer d.deployMu.Unlock()
	if d.deployed != nil {
		info := *d.deployed
		info.Uploaded, info.Note = false, ""
		return &info, nil
	}
	k, err := d.chooseKind(ctx)
	if err != nil {
		return nil, err
	}
	build := d.buildArchive
	if build == nil {
		build = d.archive
	}
	zip, note, err := build(ctx, k)
	if err != nil {
		return nil, err
	}
	want := d.action(k, zip)
	if d.opts.StorageCredentials {
		params, hash, err := storageParameters(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range params {
			if p.Key == "AWS_SECRET_ACCESS_KEY" || p.Key == "AWS_SESSION_TOKEN" {
				d.c.hide(annotationText(p.Value))
			}
		}
		h, _ := json.Marshal(hash)
		want.Parameters = params
		want.Annotations = append(want.Annotations, KeyValue{Key: CredentialsAnnotation, Value: h})
	}
	info := &driver.DeployInfo{Name: d.opts.Action, CodeHash: deploy.CodeHash(zip), Bytes: len(zip), Note: joinNotes(k.why, note)}
	cur, err := d.c.GetAction(ctx, d.opts.Action)
	switch {
	case err == nil && same(cur, want):
	case err == nil || errorCode(err) == driver.NotFound:
		if err := d.c.PutAction(ctx, d.opts.Action, want); err != nil {
			return nil, err
		}
		info.Uploaded = true
	default:
		return nil, err
	}
	d.deployed = info
	return info, nil
}

// chooseKind picks the kind to deploy, reading the deployment's runtimes
// unless the kind is blackbox.
func (d *Driver) chooseKind(ctx context.Context) (*kind, error) {
	o := &d.opts
	if o.Kind == "blackbox" {
		return chooseKind(nil, nil, o.Kind, o.ExecEnv, o.Image)
	}
	rs, err := d.c.Runtimes(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return chooseKind(rs, err, o.Kind, o.ExecEnv, o.Image)
}

// joinNotes joins the non-empty notes, one a line.
func joinNotes(notes ...string) string {
	var kept []string
	for _, n := range notes {
		if n != "" {
			kept = append(kept, n)
		}
	}
	return strings.Join(kept, "\n")
}

// action returns the action record to deploy.
func (d *Driver) action(k *kind, zip []byte) *Action {
	hash, _ := json.Marshal(deploy.CodeHash(zip))
	return &Action{
		Exec:        Exec{Kind: k.name, Image: k.image, Code: base64.StdEncoding.EncodeToString(zip), Binary: true},
		Annotations: []KeyValue{{Key: CodeHashAnnotation, Value: hash}},
		Parameters:  []KeyValue{}, // none: an update clears the ones deployed before
		Limits:      &ActionLimits{Timeout: int(d.opts.Timeout.Milliseconds()), Memory: d.opts.MemoryMB, Concurrency: 1},
	}
}

// same reports whether the deployed action already is want: the same
// code, kind, limits and storage credentials (compared by their hash, and
// by the parameters left from an earlier deploy).
func same(cur, want *Action) bool {
	if len(cur.Parameters) != len(want.Parameters) ||
		annotation(cur.Annotations, CodeHashAnnotation) != annotation(want.Annotations, CodeHashAnnotation) ||
		annotation(cur.Annotations, CredentialsAnnotation) != annotation(want.Annotations, CredentialsAnnotation) ||
		cur.Exec.Kind != want.Exec.Kind || cur.Exec.Image != want.Exec.Image {
		return false
	}
	if cur.Limits == nil {
		return false
	}
	return cur.Limits.Timeout == want.Limits.Timeout && cur.Limits.Memory == want.Limits.Memory
}

// Undeploy deletes the action. An action already gone (404) gives an
// error wrapping driver.ErrNotDeployed.
func (d *Driver) Undeploy(ctx context.Context) error {
	err := d.c.DeleteAction(ctx, d.opts.Action)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == driver.NotFound {
		err = fmt.Errorf("%w: action %s does not exist", driver.ErrNotDeployed, d.opts.Action)
	}
	d.deployMu.Lock()
	d.deployed = nil
	d.deployMu.Unlock()
	return err
}
