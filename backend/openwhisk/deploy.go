package openwhisk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/overcast-sc/overcast/backend/driver"
	"github.com/overcast-sc/overcast/deploy"
)

// DefaultKind is the runtime kind actions get unless told otherwise: the
// newest image apache/openwhisk-runtime-go builds.
const DefaultKind = "go:1.24"

// BlackboxImage is the image of the blackbox kind unless told otherwise.
const BlackboxImage = "openwhisk/dockerskeleton"

// CodeHashAnnotation holds the SHA-256 of the action's archive, so that a
// second deploy of the same code skips the upload.
const CodeHashAnnotation = "overcast-code-sha256"

// goKinds maps Go kinds to their images' OW_EXECUTION_ENV, which the
// archive's exec.env must match.
var goKinds = map[string]string{
	"go:1.20": "openwhisk/action-golang-v1.20",
	"go:1.21": "openwhisk/action-golang-v1.21",
	"go:1.22": "openwhisk/action-golang-v1.22",
	"go:1.23": "openwhisk/action-golang-v1.23",
	"go:1.24": "openwhisk/action-golang-v1.24",
}

// kind is what an action's runtime needs of the archive and the exec.
type kind struct {
	name    string
	execEnv string // exec.env content; empty means no such file
	image   string // blackbox image
}

// kindSpec resolves a kind and its overrides.
func kindSpec(name, execEnv, image string) (*kind, error) {
	if name == "blackbox" {
		if image == "" {
			image = BlackboxImage
		}
		return &kind{name: name, image: image}, nil
	}
	env, ok := goKinds[name]
	if !ok && !strings.HasPrefix(name, "go:") {
		known := make([]string, 0, len(goKinds))
		for k := range goKinds {
			known = append(known, k)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unsupported kind %q (known: %s, blackbox; another go:1.x kind needs execenv)", name, strings.Join(known, ", "))
	}
	if execEnv != "" {
		env = execEnv
	}
	if env == "" {
		return nil, fmt.Errorf("kind %s: set execenv to its image's OW_EXECUTION_ENV (e.g. openwhisk/action-golang-v1.2x)", name)
	}
	return &kind{name: name, execEnv: env}, nil
}

// archive builds the action's zip from the worker binary.
// It returns the archive and a note for the user (a cross build).
func (d *Driver) archive(ctx context.Context, k *kind) ([]byte, string, error) {
	dir, err := os.MkdirTemp("", "overcast-openwhisk-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin, err := deploy.WorkerBinary(ctx, d.opts.GOARCH, dir)
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
	k, err := kindSpec(d.opts.Kind, d.opts.ExecEnv, d.opts.Image)
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
	info := &driver.DeployInfo{Name: d.opts.Action, CodeHash: deploy.CodeHash(zip), Bytes: len(zip), Note: note}
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

// action returns the action record to deploy.
func (d *Driver) action(k *kind, zip []byte) *Action {
	hash, _ := json.Marshal(deploy.CodeHash(zip))
	return &Action{
		Exec:        Exec{Kind: k.name, Image: k.image, Code: base64.StdEncoding.EncodeToString(zip), Binary: true},
		Annotations: []KeyValue{{Key: CodeHashAnnotation, Value: hash}},
		Limits:      &ActionLimits{Timeout: int(d.opts.Timeout.Milliseconds()), Memory: d.opts.MemoryMB, Concurrency: 1},
	}
}

// same reports whether the deployed action already is want.
func same(cur, want *Action) bool {
	if annotation(cur.Annotations, CodeHashAnnotation) != annotation(want.Annotations, CodeHashAnnotation) ||
		cur.Exec.Kind != want.Exec.Kind || cur.Exec.Image != want.Exec.Image {
		return false
	}
	if cur.Limits == nil {
		return false
	}
	return cur.Limits.Timeout == want.Limits.Timeout && cur.Limits.Memory == want.Limits.Memory
}

// Undeploy deletes the action; an action already gone is not an error.
func (d *Driver) Undeploy(ctx context.Context) error {
	err := d.c.DeleteAction(ctx, d.opts.Action)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == driver.NotFound {
		err = nil
	}
	d.deployMu.Lock()
	d.deployed = nil
	d.deployMu.Unlock()
	return err
}
