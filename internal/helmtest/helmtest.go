// Package helmtest runs helm, the Kubernetes package manager, as a peer of
// the tests that render Apache OpenWhisk's Helm chart: it finds the helm
// binary and the chart beside the repository, renders the chart with
// values files (helm template), lints it (helm lint), and reads the
// rendered manifests.
//
// helm comes from `go install helm.sh/helm/v3/cmd/helm@v3.22.0`
// (.ci/install-helm); a test without it skips, or fails under
// REQUIRE_PEERS=1 (internal/testpeer).
package helmtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/overcast-sc/overcast/internal/shareddir"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// SharedEnv names the environment variable that points at the read-only
// shared folder holding openwhisk/deploy-kube (Apache's chart).
const SharedEnv = shareddir.Env

// Install is how to install the helm this package expects.
const Install = "go install helm.sh/helm/v3/cmd/helm@v3.22.0 (.ci/install-helm)"

// Find returns the path of helm: on PATH, else in $(go env GOPATH)/bin.
func Find() (string, error) {
	if p, err := exec.LookPath("helm"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("helm is not on PATH and go env GOPATH failed: %w", err)
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
		p := filepath.Join(dir, "bin", "helm")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("helm is not on PATH nor in $(go env GOPATH)/bin")
}

// Helm returns the path of helm, or skips t (fails it under
// REQUIRE_PEERS=1) when there is none.
func Helm(t testing.TB) string {
	t.Helper()
	p, err := Find()
	if err != nil {
		testpeer.Skip(t, "%v; install it with %s", err, Install)
	}
	return p
}

// ChartDir returns the folder of Apache's OpenWhisk chart:
// $OVERCAST_SHARED/openwhisk/deploy-kube/helm/openwhisk, else the same
// under ../shared beside the root of the module holding the working
// directory.
func ChartDir() (string, error) {
	dir, err := shareddir.Path("openwhisk", "deploy-kube", "helm", "openwhisk")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("no OpenWhisk chart at %s (set %s to the folder holding openwhisk/deploy-kube): %w", dir, SharedEnv, err)
	}
	return dir, nil
}

// Chart returns ChartDir, or skips t (fails it under REQUIRE_PEERS=1)
// when the chart is not there.
func Chart(t testing.TB) string {
	t.Helper()
	dir, err := ChartDir()
	if err != nil {
		testpeer.Skip(t, "%v", err)
	}
	return dir
}

// Run runs helm with args and returns its standard output; a failure
// carries its standard error.
func Run(helm string, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	// helm keeps its cache and config under HOME; a test must not write
	// the user's.
	tmp, err := os.MkdirTemp("", "helmtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+tmp, "HELM_CONFIG_HOME="+tmp, "HELM_DATA_HOME="+tmp)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// Template renders the chart as release owdev with the values files, in
// order, and returns its manifests.
func Template(t testing.TB, values ...string) []Manifest {
	t.Helper()
	args := []string{"template", "owdev", Chart(t)}
	for _, v := range values {
		args = append(args, "-f", v)
	}
	out, err := Run(Helm(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Parse(out)
	if err != nil {
		t.Fatalf("helm template with %v: %v", values, err)
	}
	return ms
}

// Lint runs helm lint on the chart with the values files and fails t when
// it finds an error.
func Lint(t testing.TB, values ...string) {
	t.Helper()
	args := []string{"lint", Chart(t)}
	for _, v := range values {
		args = append(args, "-f", v)
	}
	if _, err := Run(Helm(t), args...); err != nil {
		t.Fatal(err)
	}
}

// Manifest is one rendered Kubernetes object.
type Manifest map[string]any

// Parse splits helm's output into its YAML documents and reads each;
// empty documents (comments only) are left out.
func Parse(out []byte) ([]Manifest, error) {
	var ms []Manifest
	for i, doc := range splitDocs(out) {
		var m Manifest
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) > 0 {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// splitDocs splits a YAML stream at its "---" lines.
func splitDocs(out []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	r := bytes.NewBuffer(out)
	for {
		line, err := r.ReadBytes('\n')
		if t := bytes.TrimRight(line, "\r\n"); bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
		} else {
			cur.Write(line)
		}
		if err == io.EOF {
			break
		}
	}
	return append(docs, cur.Bytes())
}

// FindManifest returns the manifest of the given kind and name, or nil.
func FindManifest(ms []Manifest, kind, name string) Manifest {
	for _, m := range ms {
		if m["kind"] == kind && m.Name() == name {
			return m
		}
	}
	return nil
}

// Name is the object's metadata.name.
func (m Manifest) Name() string {
	s, _ := m.Path("metadata", "name").(string)
	return s
}

// Path returns the value under the keys, or nil.
func (m Manifest) Path(keys ...string) any {
	var cur any = map[string]any(m)
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// Env returns the environment variable of the named container of a pod
// template (a Deployment's or StatefulSet's) as its value, and whether it
// is set with a plain value.
func (m Manifest) Env(container, name string) (string, bool) {
	cs, _ := m.Path("spec", "template", "spec", "containers").([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if cm["name"] != container {
			continue
		}
		env, _ := cm["env"].([]any)
		for _, e := range env {
			em, _ := e.(map[string]any)
			if em["name"] == name {
				v, ok := em["value"].(string)
				return v, ok
			}
		}
	}
	return "", false
}
