package openwhisk

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/internal/shareddir"
	"github.com/overcast-sc/overcast/sim"
)

// fixtureRuntime is one kind of a fixture deployment.
type fixtureRuntime struct {
	kind, image       string
	isDefault, isDepr bool
}

// controllerInfo is a controller's answer to GET /: description,
// api_paths, limits and runtimes, each runtime with its resolved image
// name and attached and requireMain as booleans.
func controllerInfo(t *testing.T, fams map[string][]fixtureRuntime) string {
	t.Helper()
	runtimes := map[string][]map[string]any{}
	for fam, rts := range fams {
		runtimes[fam] = []map[string]any{}
		for _, r := range rts {
			runtimes[fam] = append(runtimes[fam], map[string]any{"kind": r.kind, "image": r.image, "default": r.isDefault,
				"deprecated": r.isDepr, "attached": true, "requireMain": false})
		}
	}
	b, err := json.Marshal(map[string]any{
		"description": "OpenWhisk",
		"support":     map[string]string{"github": "https://github.com/apache/openwhisk/issues"},
		"api_paths":   []string{"/api/v1"},
		"limits":      map[string]any{"actions_per_minute": 120, "triggers_per_minute": 60, "concurrent_actions": 100, "max_action_duration": 300000},
		"runtimes":    runtimes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// manifestRuntimes reads a runtime manifest file (OpenWhisk core's
// runtimes.json or the Helm chart's) as its controller would list it.
func manifestRuntimes(t *testing.T, path string) map[string][]fixtureRuntime {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Runtimes map[string][]struct {
			Kind       string `json:"kind"`
			Default    bool   `json:"default"`
			Deprecated bool   `json:"deprecated"`
			Image      struct {
				Prefix, Name, Tag string
			} `json:"image"`
		} `json:"runtimes"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	fams := map[string][]fixtureRuntime{}
	for fam, rts := range m.Runtimes {
		for _, r := range rts {
			img := r.Image.Prefix + "/" + r.Image.Name + ":" + r.Image.Tag
			fams[fam] = append(fams[fam], fixtureRuntime{kind: r.Kind, image: img, isDefault: r.Default, isDepr: r.Deprecated})
		}
	}
	return fams
}

// runtimeGoHEAD is a deployment of the images apache/openwhisk-runtime-go
// builds today, with no default go kind.
var runtimeGoHEAD = map[string][]fixtureRuntime{
	"go": {
		{kind: "go:1.22", image: "openwhisk/action-golang-v1.22:nightly"},
		{kind: "go:1.24", image: "openwhisk/action-golang-v1.24:nightly"},
		{kind: "go:1.23", image: "openwhisk/action-golang-v1.23:nightly"},
	},
	"nodejs":   {{kind: "nodejs:20", image: "openwhisk/action-nodejs-v20:nightly", isDefault: true}},
	"blackbox": {{kind: "blackbox", image: "openwhisk/dockerskeleton:nightly", isDefault: true}},
}

// deployedKind deploys with o to a controller that answers GET / with
// info ("" answers 404) and returns the uploaded kind and exec.env.
func deployedKind(t *testing.T, info string, o Options) (kind, execEnv, note string, err error) {
	t.Helper()
	f := newFake(t)
	f.info = info
	d, err := f.open(t, o)
	if err != nil {
		return "", "", "", err
	}
	defer d.Close()
	d.buildArchive = fakeArchive
	di, err := d.Deploy(context.Background())
	if err != nil {
		return "", "", "", err
	}
	var a Action
	if err := json.Unmarshal(f.actions["overcast"], &a); err != nil {
		t.Fatal(err)
	}
	return a.Exec.Kind, zipEntry(t, a.Exec.Code, "exec.env"), di.Note, nil
}

// zipEntry returns the named file of a base64 zip, "" when absent.
func zipEntry(t *testing.T, code, name string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(code)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	return ""
}

func without(fams map[string][]fixtureRuntime, family string) map[string][]fixtureRuntime {
	out := map[string][]fixtureRuntime{}
	for k, v := range fams {
		if k != family {
			out[k] = v
		}
	}
	return out
}

// TestKindFromDeployment deploys with no kind to deployments shaped as
// the ones that exist: the deployment's default go kind, else its newest.
func TestKindFromDeployment(t *testing.T) {
	registry := map[string][]fixtureRuntime{"go": {
		{kind: "go:1.22", image: "registry.example:5000/openwhisk/action-golang-v1.22:nightly"},
		{kind: "go:1.23", image: "registry.example:5000/openwhisk/action-golang-v1.23@sha256:0123", isDefault: true},
	}}
	tests := []struct {
		name             string
		fams             func(t *testing.T) map[string][]fixtureRuntime
		wantKind, wantEV string
	}{
		{"core manifest", func(t *testing.T) map[string][]fixtureRuntime {
			return manifestRuntimes(t, shareddir.Need(t, "openwhisk", "runtimes.json"))
		}, "go:1.20", "openwhisk/action-golang-v1.20"},
		{"helm chart", func(t *testing.T) map[string][]fixtureRuntime {
			return manifestRuntimes(t, shareddir.Need(t, "openwhisk", "deploy-kube", "helm", "openwhisk", "runtimes.json"))
		}, "go:1.17", "openwhisk/action-golang-v1.17"},
		{"runtime-go HEAD, no default", func(*testing.T) map[string][]fixtureRuntime { return runtimeGoHEAD }, "go:1.24", "openwhisk/action-golang-v1.24"},
		{"own registry", func(*testing.T) map[string][]fixtureRuntime { return registry }, "go:1.23", "openwhisk/action-golang-v1.23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, env, note, err := deployedKind(t, controllerInfo(t, tt.fams(t)), Options{})
			if err != nil || k != tt.wantKind || env != tt.wantEV {
				t.Fatalf("deployed kind %q exec.env %q (%v), want %q %q", k, env, err, tt.wantKind, tt.wantEV)
			}
			if !strings.Contains(note, "kind "+tt.wantKind) {
				t.Errorf("note %q does not name the kind", note)
			}
		})
	}
}

// TestKindGiven deploys an asked-for kind: the contract is kind go:1.24
// with exec.env exactly openwhisk/action-golang-v1.24, whether or not the
// deployment lists its runtimes, and execenv overrides it.
func TestKindGiven(t *testing.T) {
	head := controllerInfo(t, runtimeGoHEAD)
	tests := []struct {
		name, info       string
		o                Options
		wantKind, wantEV string
	}{
		{"listed", head, Options{Kind: "go:1.24"}, "go:1.24", "openwhisk/action-golang-v1.24"},
		{"listed older", head, Options{Kind: "go:1.22"}, "go:1.22", "openwhisk/action-golang-v1.22"},
		{"runtimes unknown", "", Options{Kind: "go:1.24"}, "go:1.24", "openwhisk/action-golang-v1.24"},
		{"runtimes unknown, go:1.9", "", Options{Kind: "go:1.9"}, "go:1.9", "openwhisk/action-golang-v1.9"},
		{"execenv", head, Options{Kind: "go:1.24", ExecEnv: "me/custom-go"}, "go:1.24", "me/custom-go"},
		{"execenv, no kind", head, Options{ExecEnv: "me/custom-go"}, "go:1.24", "me/custom-go"},
		{"runtimes unknown, no kind", "", Options{}, "go:1.24", "openwhisk/action-golang-v1.24"},
		{"blackbox", head, Options{Kind: "blackbox"}, "blackbox", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, env, _, err := deployedKind(t, tt.info, tt.o)
			if err != nil || k != tt.wantKind || env != tt.wantEV {
				t.Fatalf("deployed kind %q exec.env %q (%v), want %q %q", k, env, err, tt.wantKind, tt.wantEV)
			}
		})
	}
}

// TestKindRefused checks the one-line errors: no go kind on the
// deployment, a kind it does not have, a deprecated one, a non-Go kind.
func TestKindRefused(t *testing.T) {
	noGo := controllerInfo(t, without(runtimeGoHEAD, "go"))
	depr := controllerInfo(t, map[string][]fixtureRuntime{"go": {{kind: "go:1.15", image: "openwhisk/action-golang-v1.15:nightly", isDefault: true, isDepr: true}}})
	tests := []struct {
		name, info string
		o          Options
		want       []string
	}{
		{"no go kind", noGo, Options{}, []string{"no go kind", "blackbox, nodejs:20", "--kind blackbox"}},
		{"only deprecated", depr, Options{}, []string{"only deprecated go kinds", "go:1.15", "--kind blackbox"}},
		{"not listed", controllerInfo(t, runtimeGoHEAD), Options{Kind: "go:1.20"}, []string{"no kind go:1.20", "go:1.22, go:1.23, go:1.24"}},
		{"deprecated", depr, Options{Kind: "go:1.15"}, []string{"go:1.15 is deprecated"}},
		{"unknown image", "", Options{Kind: "go:custom"}, []string{"--execenv"}},
		{"not go", "", Options{Kind: "nodejs:20"}, []string{"unsupported kind", "go:1.NN or blackbox"}},
		{"execenv for blackbox", "", Options{Kind: "blackbox", ExecEnv: "x"}, []string{"execenv applies to go kinds only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := deployedKind(t, tt.info, tt.o)
			if err == nil {
				t.Fatal("deployed; want an error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) || strings.Contains(msg, "\n") {
					t.Errorf("error %q: want one line with %q", msg, w)
				}
			}
		})
	}
}

func TestImageExecEnv(t *testing.T) {
	for image, want := range map[string]string{
		"openwhisk/action-golang-v1.20:nightly":                          "openwhisk/action-golang-v1.20",
		"registry.example/openwhisk/action-golang-v1.20:nightly":         "openwhisk/action-golang-v1.20",
		"registry.example:5000/openwhisk/action-golang-v1.24":            "openwhisk/action-golang-v1.24",
		"action-golang-v1.22@sha256:abcdef":                              "openwhisk/action-golang-v1.22",
		"registry.example:5000/me/action-golang-v1.23:1.2@sha256:abcdef": "openwhisk/action-golang-v1.23",
		"": "",
	} {
		if got := imageExecEnv(image); got != want {
			t.Errorf("imageExecEnv(%q) = %q, want %q", image, got, want)
		}
	}
}

// TestRuntimesUnderPathPrefix reads GET / of an API host that sits under
// a path, and the manifest's image object as well as a resolved name.
func TestRuntimesUnderPathPrefix(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		io.WriteString(w, `{"runtimes":{"go":[{"kind":"go:1.21","image":{"prefix":"openwhisk","name":"action-golang-v1.21","tag":"nightly"},"default":true}]}}`)
	}))
	defer srv.Close()
	c, err := NewClient(&Config{APIHost: srv.URL + "/whisk", Auth: fakeAuth})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Runtimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != "/whisk/" || len(rs["go"]) != 1 || rs["go"][0].Image != "openwhisk/action-golang-v1.21:nightly" || !rs["go"][0].Default {
		t.Errorf("GET %s gave %+v", got, rs)
	}
}

// TestKindFromSim deploys with no kind to overcast sim offering the
// Helm chart's go:1.17 (in a registry of its own) beside go:1.22: deploy
// takes the sim's default, with its image's exec.env, and the sim accepts
// it and runs tasks.
func TestKindFromSim(t *testing.T) {
	kinds := []sim.Kind{
		{Kind: "go:1.17", Image: "registry.example:5000/openwhisk/action-golang-v1.17:1.20.0", Default: true},
		{Kind: "go:1.22", Image: "openwhisk/action-golang-v1.22:nightly"},
	}
	_, o := startSim(t, &sim.Options{Kinds: kinds}, Options{})
	d := openInproc(t, o)
	defer d.Close()
	a, err := d.c.GetAction(context.Background(), "overcast")
	if err != nil || a.Exec.Kind != "go:1.17" {
		t.Fatalf("deployed action %+v (%v), want kind go:1.17", a, err)
	}
	k, err := d.chooseKind(context.Background())
	if err != nil || k.execEnv != "openwhisk/action-golang-v1.17" {
		t.Fatalf("chooseKind on the sim = %+v, %v", k, err)
	}
	echoJob(t, d, 5, 0, &overcast.Options{})
}
