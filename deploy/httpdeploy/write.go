package httpdeploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Result is what Write wrote and what the user runs next.
type Result struct {
	// Options are the options with their defaults filled in.
	Options Options
	// Files are the written files, relative to the output directory.
	Files []string
	// BinaryBytes is the size of the worker binary.
	BinaryBytes int64
	// Steps are the commands the user runs next, in order, each a shell
	// command line; the last one runs a job on the deployed workers.
	Steps []string
	// Notes are lines that need the user's attention, such as a setting
	// of the platform the files cannot make.
	Notes []string
}

// file is one file to write: its name relative to the output directory
// and its content.
type file struct {
	name string
	data []byte
}

// Write writes the deploy files of o.Target and the worker binary into
// o.Dir, creating it; files of the same names there are replaced, nothing
// else is touched.
func Write(o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	files, err := targetFiles(o)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the output directory: %w", err)
	}
	r := &Result{Options: o}
	for _, f := range files {
		if err := writeFile(filepath.Join(o.Dir, f.name), f.data, 0o644); err != nil {
			return nil, err
		}
		r.Files = append(r.Files, f.name)
	}
	n, err := copyBinary(o.Binary, filepath.Join(o.Dir, BinaryName))
	if err != nil {
		return nil, err
	}
	r.Files = append(r.Files, BinaryName)
	r.BinaryBytes = n
	r.Steps, r.Notes = steps(o)
	return r, nil
}

// targetFiles renders the files of o's target.
func targetFiles(o Options) ([]file, error) {
	switch o.Target {
	case Knative:
		return render(o, file{"Dockerfile", nil}, file{"service.yaml", nil})
	case CloudRun:
		return render(o, file{"Dockerfile", nil}, file{"service.yaml", nil})
	case OpenFaaS:
		return render(o, file{"Dockerfile", nil}, file{"stack.yml", nil})
	}
	return azureFiles(o)
}

// render fills each file from its template: the target's own, or the
// plain Dockerfile.
func render(o Options, files ...file) ([]file, error) {
	for i := range files {
		name := string(o.Target) + "/" + files[i].name
		if files[i].name == "Dockerfile" && o.Target != OpenFaaS {
			name = "Dockerfile"
		}
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, name, newView(o)); err != nil {
			return nil, fmt.Errorf("render %s: %w", files[i].name, err)
		}
		files[i].data = buf.Bytes()
	}
	return files, nil
}

// writeFile writes data to path through a temporary file, so that a
// failed write leaves no half file.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// copyBinary copies the worker binary to dst, executable, and returns its
// size.
func copyBinary(src, dst string) (int64, error) {
	if src == "" {
		return 0, fmt.Errorf("no worker binary to copy")
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, fmt.Errorf("read the worker binary: %w", err)
	}
	defer in.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, in)
	if err != nil {
		return 0, fmt.Errorf("read the worker binary: %w", err)
	}
	return n, writeFile(dst, buf.Bytes(), 0o755)
}

// quote returns s as a double-quoted scalar that YAML reads back as s: a
// JSON string (YAML's double-quoted style is a superset of it).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// flow returns a list of strings as a YAML flow sequence.
func flow(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// view is what the templates read: the options and the constants.
type view struct {
	Options
	TokenEnv, SecretName, SecretKey string
	Port                            int
	Health, Binary, Watchdog        string
	Invoke                          string
	Arch                            string
	// Args is the worker's command line after the binary.
	Args []string
	// FProcess is of-watchdog's command line for the worker (OpenFaaS).
	FProcess, Upstream string
	// Seconds is the request timeout in seconds; MemoryMi the memory of
	// an instance in MiB.
	Seconds, MemoryMi int
}

// memoryPerCPU is the memory of an instance per vCPU, in MiB: Cloud
// Run's least for one vCPU.
const memoryPerCPU = 512

func newView(o Options) view {
	return view{
		Options: o, TokenEnv: TokenEnv, SecretName: SecretName, SecretKey: SecretKey, Port: ContainerPort,
		Health: HealthPath, Invoke: InvokePath, Binary: BinaryName, Watchdog: WatchdogImage, Arch: "linux/" + o.GOARCH,
		Args: o.workerArgs(), Seconds: int(o.Timeout.Seconds()), MemoryMi: memoryPerCPU * o.CPU,
		FProcess: strings.Join(append([]string{"/" + BinaryName}, o.workerArgs(
			addrFlag, openfaasUpstream, tokenFileFlag, openfaasSecrets+SecretName)...), " "),
		Upstream: "http://" + openfaasUpstream,
	}
}

// openfaasUpstream is where the worker listens behind of-watchdog, which
// alone takes the container's port; openfaasSecrets is where OpenFaaS
// mounts a function's secrets, one file each.
const (
	openfaasUpstream = "127.0.0.1:8081"
	openfaasSecrets  = "/var/openfaas/secrets/"
)

// templates holds the files' templates by name: the target, a slash and
// the file's name, or "Dockerfile" for the image of every target but
// OpenFaaS.
var templates = func() *template.Template {
	t := template.New("").Funcs(template.FuncMap{"q": quote, "flow": flow})
	for name, text := range templateText {
		template.Must(t.New(name).Parse(text))
	}
	return t
}()
