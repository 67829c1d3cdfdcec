package sim

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/shareddir"
)

func TestParseKinds(t *testing.T) {
	tests := []struct {
		spec, def string
		want      []Kind
		wantErr   string
	}{
		{spec: "go:1.22,go:1.24,go:1.23", want: []Kind{
			{Kind: "go:1.22", Image: "openwhisk/action-golang-v1.22:nightly"},
			{Kind: "go:1.24", Image: "openwhisk/action-golang-v1.24:nightly", Default: true},
			{Kind: "go:1.23", Image: "openwhisk/action-golang-v1.23:nightly"}}},
		{spec: " GO:1.9 , blackbox", def: "go:1.9", want: []Kind{
			{Kind: "go:1.9", Image: "openwhisk/action-golang-v1.9:nightly", Default: true},
			{Kind: "blackbox", Image: "openwhisk/dockerskeleton:nightly"}}},
		{spec: "go:1.22,go:1.23", def: "none", want: []Kind{
			{Kind: "go:1.22", Image: "openwhisk/action-golang-v1.22:nightly"},
			{Kind: "go:1.23", Image: "openwhisk/action-golang-v1.23:nightly"}}},
		{spec: "go:tip=reg.example:5000/me/action-golang-tip:1", want: []Kind{
			{Kind: "go:tip", Image: "reg.example:5000/me/action-golang-tip:1"}}},
		{spec: "go:tip", wantErr: "say its image"},
		{spec: "nodejs:20=openwhisk/action-nodejs-v20", wantErr: "only go kinds"},
		{spec: "go:1.22,go:1.22", wantErr: "listed twice"},
		{spec: "go:1.22", def: "go:1.23", wantErr: "not one of the go kinds"},
		{spec: "go:1.22,blackbox", def: "blackbox", wantErr: "not one of the go kinds"},
		{spec: " , ", wantErr: "no kinds"},
	}
	for _, tt := range tests {
		got, err := ParseKinds(tt.spec, tt.def)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseKinds(%q, %q) error = %v, want %q", tt.spec, tt.def, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !reflect.DeepEqual(got, tt.want)):
			t.Errorf("ParseKinds(%q, %q) = %+v, %v; want %+v", tt.spec, tt.def, got, err, tt.want)
		}
	}
}

func TestExecEnv(t *testing.T) {
	for image, want := range map[string]string{
		"openwhisk/action-golang-v1.24:nightly":                "openwhisk/action-golang-v1.24",
		"openwhisk/action-golang-v1.17:1.20.0":                 "openwhisk/action-golang-v1.17",
		"docker.io/openwhisk/action-golang-v1.22":              "openwhisk/action-golang-v1.22",
		"reg.example:5000/mirror/action-golang-v1.23@sha256:0": "openwhisk/action-golang-v1.23",
		"action-golang-v1.24":                                  "openwhisk/action-golang-v1.24",
	} {
		if got := ExecEnv(image); got != want {
			t.Errorf("ExecEnv(%q) = %q, want %q", image, got, want)
		}
	}
	k := Kind{Kind: DefaultKind, Image: goImage(DefaultKind)}
	if k.ExecEnv() != DefaultExecEnv {
		t.Errorf("DefaultExecEnv %q, but %s's image gives %q", DefaultExecEnv, DefaultKind, k.ExecEnv())
	}
}

// TestHostInfo checks GET / against the shape of a controller's: no auth,
// api_paths, limits, and runtimes by family with resolved image names.
func TestHostInfo(t *testing.T) {
	s := newServer(t, &Options{Concurrency: 7, PerMinute: 60})
	resp, err := client.Get(s.APIHost() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Description string                  `json:"description"`
		APIPaths    []string                `json:"api_paths"`
		Limits      map[string]int          `json:"limits"`
		Runtimes    map[string][]runtimeDoc `json:"runtimes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /: %d %v", resp.StatusCode, err)
	}
	want := []runtimeDoc{
		{Kind: "go:1.22", Image: "openwhisk/action-golang-v1.22:nightly", Attached: true},
		{Kind: "go:1.23", Image: "openwhisk/action-golang-v1.23:nightly", Attached: true},
		{Kind: "go:1.24", Image: "openwhisk/action-golang-v1.24:nightly", Attached: true, Default: true},
	}
	if len(info.Runtimes) != 1 || !reflect.DeepEqual(info.Runtimes["go"], want) {
		t.Errorf("runtimes %+v, want go: %+v", info.Runtimes, want)
	}
	l := info.Limits
	if info.Description == "" || !reflect.DeepEqual(info.APIPaths, []string{"/api/v1"}) ||
		l["concurrent_actions"] != 7 || l["actions_per_minute"] != 60 || l["max_action_duration"] != 300000 ||
		l["max_action_memory"] != 512<<20 || l["default_max_action_logs"] != 10<<20 {
		t.Errorf("info %+v", info)
	}
}

// TestHostInfoAgainstManifest checks that the runtimes GET / lists carry
// the fields of the stock manifest's kinds, resolved as a controller
// resolves them, when the reference manifest is at hand.
func TestHostInfoAgainstManifest(t *testing.T) {
	raw, err := os.ReadFile(shareddir.Need(t, "openwhisk", "runtimes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Runtimes map[string][]struct {
			Kind  string `json:"kind"`
			Image struct {
				Prefix, Name, Tag string
			} `json:"image"`
			Default bool `json:"default"`
		} `json:"runtimes"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var ks []Kind
	for _, r := range m.Runtimes["go"] {
		ks = append(ks, Kind{Kind: r.Kind, Image: r.Image.Prefix + "/" + r.Image.Name + ":" + r.Image.Tag, Default: r.Default})
	}
	parsed, err := ParseKinds("go:1.20", "")
	if err != nil || !reflect.DeepEqual(parsed, ks) {
		t.Errorf("the manifest's go kinds %+v; ParseKinds gives %+v, %v", ks, parsed, err)
	}
	s := newServer(t, &Options{Kinds: ks})
	info := decode[map[string]json.RawMessage](t, mustCallRoot(t, s, "/"))
	var rts map[string][]map[string]any
	json.Unmarshal(info["runtimes"], &rts)
	keys := []string{}
	for k := range rts["go"][0] {
		keys = append(keys, k)
	}
	if len(keys) != 6 || rts["go"][0]["image"] != "openwhisk/action-golang-v1.20:nightly" {
		t.Errorf("runtime entry %v", rts["go"][0])
	}
}

func mustCallRoot(t *testing.T, s *Server, path string) []byte {
	t.Helper()
	resp, err := client.Get(s.APIHost() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return b
}

func TestAPIInfo(t *testing.T) {
	s := newServer(t, nil)
	for _, path := range []string{"/api/v1", "/api/v1/"} {
		var info struct {
			Description    string            `json:"description"`
			APIVersion     string            `json:"api_version"`
			APIVersionPath string            `json:"api_version_path"`
			Build          string            `json:"build"`
			BuildNo        string            `json:"buildno"`
			SwaggerPaths   map[string]string `json:"swagger_paths"`
		}
		if err := json.Unmarshal(mustCallRoot(t, s, path), &info); err != nil {
			t.Fatal(err)
		}
		if info.Description != "OpenWhisk API" || info.APIVersion != "1.0.0" || info.APIVersionPath != "v1" ||
			info.Build == "" || info.BuildNo == "" || info.SwaggerPaths["api-docs"] == "" {
			t.Errorf("GET %s: %+v", path, info)
		}
	}
}

// TestActionKinds checks which kinds an action may have, with a
// controller's statuses and messages.
func TestActionKinds(t *testing.T) {
	ks := append(DefaultKinds(), Kind{Kind: "go:1.21", Image: "openwhisk/action-golang-v1.21:nightly", Deprecated: true})
	s := newServer(t, &Options{Kinds: ks})
	code := dummyZip(t)
	tests := []struct {
		kind     string
		want     int
		wantKind string
		msg      string
	}{
		{"go:1.24", 200, "go:1.24", ""},
		{" GO:1.24 ", 200, "go:1.24", ""},
		{"go:default", 200, "go:1.24", ""},
		{"go:1.22", 200, "go:1.22", ""},
		{"blackbox", 200, "blackbox", ""},
		{"go:1.20", 400, "", "The request content was malformed:\nThe specified runtime 'go:1.20' is not supported by this platform. Valid values are: 'go:1.22', 'go:1.23', 'go:1.24', 'blackbox', 'go:1.21'."},
		{"nodejs:20", 400, "", "The specified runtime 'nodejs:20' is not supported"},
		{"", 400, "", "exec malformed"},
		{"go:1.21", 400, "", "The 'go:1.21' runtime is no longer supported. You may read and delete but not update or invoke this action."},
		{"sequence", 501, "", "does not implement sequences"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			st, b, _ := call(t, s, "PUT", "/namespaces/_/actions/k?overwrite=true",
				map[string]any{"exec": map[string]any{"kind": tt.kind, "code": code}})
			var e errorBody
			json.Unmarshal(b, &e)
			if st != tt.want || !strings.Contains(e.Error, tt.msg) {
				t.Fatalf("status %d %s, want %d %q", st, b, tt.want, tt.msg)
			}
			if st == 200 {
				doc := decode[actionDoc](t, mustCall(t, s, 200, "GET", "/namespaces/_/actions/k", nil))
				if doc.Exec.Kind != tt.wantKind {
					t.Errorf("stored kind %q, want %q", doc.Exec.Kind, tt.wantKind)
				}
			}
		})
	}
}

func TestOptionsKindsChecked(t *testing.T) {
	for _, ks := range [][]Kind{
		{{Kind: "nodejs:20", Image: "x"}},
		{{Kind: "go:1.22"}},
		{{Kind: "go:1.22", Image: "a", Default: true}, {Kind: "go:1.23", Image: "b", Default: true}},
	} {
		if s, err := New(&Options{Kinds: ks}); err == nil {
			s.Close()
			t.Errorf("New with kinds %+v succeeded", ks)
		}
	}
}

var logLineRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr): `)

// TestExecEnvChecked checks that an action whose exec.env does not match
// its kind's image fails every activation as the Go proxy's /init fails,
// in both modes, and that blackbox actions need no exec.env.
func TestExecEnvChecked(t *testing.T) {
	exe := zipEntry{name: "exec", data: "#!/bin/false\n"}
	env := func(v string) zipEntry { return zipEntry{name: "exec.env", data: v, mode: 0o644} }
	tests := []struct {
		name, kind string
		entries    []zipEntry
		wantLogs   []string // substrings of the log lines, in order
	}{
		{"older image", "go:1.24", []zipEntry{exe, env("openwhisk/action-golang-v1.20")}, []string{
			"stdout: Expected exec.env should start with openwhisk/action-golang-v1.24",
			"stdout: Actual value: openwhisk/action-golang-v1.20",
			"stderr: Execution environment version mismatch. See logs for details.",
			"stderr: " + msgLogWarningDeveloperError}},
		{"other kind", "go:1.22", []zipEntry{exe, env("openwhisk/action-golang-v1.24\n")}, []string{
			"Expected exec.env should start with openwhisk/action-golang-v1.22", "Actual value", "mismatch", msgLogWarningDeveloperError}},
		{"no exec.env", "go:1.24", []zipEntry{exe}, []string{"stderr: open ", msgLogWarningDeveloperError}},
	}
	for _, mode := range []string{ModeInproc, ModeProcess} {
		s := newServer(t, &Options{Mode: mode})
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				mustCall(t, s, 200, "PUT", "/namespaces/_/actions/e?overwrite=true",
					map[string]any{"exec": map[string]any{"kind": tt.kind, "code": zipCode(t, tt.entries...)}})
				st, b, _ := call(t, s, "POST", "/namespaces/_/actions/e?blocking=true", echoRequest(t, `{}`))
				a := decode[activation](t, b)
				if st != 502 || a.Response.Status != "action developer error" ||
					string(a.Response.Result) != `{"error":"`+msgCannotStart+`"}` || a.annotation("initTime") == "" {
					t.Fatalf("invoke: %d %s", st, b)
				}
				logs := decode[struct{ Logs []string }](t, mustCall(t, s, 200, "GET", "/namespaces/_/activations/"+a.ActivationID+"/logs", nil)).Logs
				if len(logs) != len(tt.wantLogs) {
					t.Fatalf("logs %q, want %d lines like %q", logs, len(tt.wantLogs), tt.wantLogs)
				}
				for i, l := range logs {
					if !logLineRE.MatchString(l) || !strings.Contains(l, tt.wantLogs[i]) {
						t.Errorf("log line %d %q, want one with %q", i, l, tt.wantLogs[i])
					}
				}
			})
		}
	}
	s := newServer(t, nil)
	mustCall(t, s, 200, "PUT", "/namespaces/_/actions/bb", map[string]any{
		"exec": map[string]any{"kind": "blackbox", "image": "openwhisk/dockerskeleton", "code": zipCode(t, exe)}})
	if st, b, _ := call(t, s, "POST", "/namespaces/_/actions/bb?blocking=true", echoRequest(t, `{"n":1}`)); st != 200 {
		t.Errorf("blackbox without exec.env: %d %s", st, b)
	}
	if n := s.Stats().ColdStarts; n != 1 {
		t.Errorf("cold starts %d", n)
	}
}
