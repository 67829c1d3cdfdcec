package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// isolateConfig keeps a developer's configuration file and profile out of
// the tests: every run reads an empty file unless a test says otherwise.
func isolateConfig() {
	os.Unsetenv(profileEnv)
	os.Setenv(configEnv, os.DevNull)
}

// configHome returns the environment of a fresh home directory whose
// ~/.config/overcast/config.yaml holds config (none when "") and whose
// ~/.wskprops holds wskprops (none when ""), with no OVERCAST_, WHISK_ or
// XDG_ setting from the test's own environment; and the config's path.
func configHome(t *testing.T, config, wskprops string) ([]string, string) {
	t.Helper()
	home := t.TempDir()
	path := filepath.Join(home, ".config", "overcast", "config.yaml")
	if config != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if wskprops != "" {
		if err := os.WriteFile(filepath.Join(home, ".wskprops"), []byte(wskprops), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"HOME=" + home, "XDG_CONFIG_HOME=", configEnv + "=", profileEnv + "=",
		"OVERCAST_HOME=" + filepath.Join(home, "overcast"), "OVERCAST_CACHE=" + filepath.Join(home, "cache"),
		storageEnv + "=", "WSK_CONFIG_FILE=", "WHISK_APIHOST=", "WHISK_AUTH=", "WHISK_NAMESPACE="}, path
}

// shown is config show --json.
type shown struct {
	Config   string `json:"config"`
	Exists   bool   `json:"exists"`
	Profile  string `json:"profile"`
	Settings map[string]struct {
		Value  string `json:"value"`
		Set    bool   `json:"set"`
		Secret bool   `json:"secret"`
		Source string `json:"source"`
	} `json:"settings"`
}

func showJSON(t *testing.T, env []string, args ...string) shown {
	t.Helper()
	stdout, stderr, code := binIn(t, env, append([]string{"config", "show", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("config show %v: exit %d: %s", args, code, stderr)
	}
	return decode[shown](t, stdout, "config show --json")
}

// TestConfigPrecedence resolves the same settings from every level:
// flag > environment > profile > ~/.wskprops > default.
func TestConfigPrecedence(t *testing.T) {
	const config = `
concurrency: 7
x-shared: &shared
  namespace: from-anchor
  action: from-anchor
profiles:
  merged:
    <<: *shared
    action: own
  default:
    apihost: http://from-default-profile
  big:
    backend: openwhisk
    apihost: http://from-profile
    namespace: from-profile
    storage: mem://from-profile
    concurrency: 400
`
	env, path := configHome(t, config, "APIHOST=http://from-wskprops\nNAMESPACE=from-wskprops\nAUTH=u:k\n")
	inBig := "profile big in " + path
	cases := []struct {
		name       string
		env, args  []string
		key        string
		value, src string
	}{
		{"default", nil, []string{"--backend", "openwhisk"}, "action", "", "default"},
		{"wskprops", nil, []string{"--backend", "openwhisk"}, "namespace", "from-wskprops", filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(path))), ".wskprops")},
		{"default profile", nil, []string{"--backend", "openwhisk"}, "apihost", "http://from-default-profile", "profile default in " + path},
		{"top level", nil, nil, "concurrency", "7", "config " + path},
		{"profile over top level", nil, []string{"--config-profile", "big"}, "concurrency", "400", inBig},
		{"profile over wskprops", nil, []string{"--config-profile", "big"}, "namespace", "from-profile", inBig},
		{"profile by env", []string{profileEnv + "=big"}, nil, "apihost", "http://from-profile", inBig},
		{"profile's backend", nil, []string{"--config-profile", "big"}, "backend", "openwhisk", inBig},
		{"env over profile", []string{"WHISK_APIHOST=http://from-env"}, []string{"--config-profile", "big"}, "apihost", "http://from-env", "env WHISK_APIHOST"},
		{"storage env over profile", []string{storageEnv + "=mem://from-env"}, []string{"--config-profile", "big"}, "storage", "mem://from-env", "env " + storageEnv},
		{"flag over env", []string{"WHISK_APIHOST=http://from-env"}, []string{"--config-profile", "big", "--apihost", "http://from-flag"}, "apihost", "http://from-flag", "flag --apihost"},
		{"flag over profile", nil, []string{"--config-profile", "big", "--concurrency", "3"}, "concurrency", "3", "flag --concurrency"},
		{"merged", nil, []string{"--config-profile", "merged", "--backend", "openwhisk"}, "namespace", "from-anchor", "profile merged in " + path},
		{"merged, overridden", nil, []string{"--config-profile", "merged", "--backend", "openwhisk"}, "action", "own", "profile merged in " + path},
		{"--config", []string{configEnv + "=" + os.DevNull}, []string{"--config", path, "--config-profile", "big"}, "namespace", "from-profile", inBig},
		{"OVERCAST_CONFIG", []string{configEnv + "=" + path}, []string{"--config-profile", "big"}, "namespace", "from-profile", inBig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := showJSON(t, append(slices.Clone(env), c.env...), c.args...)
			got := s.Settings[c.key]
			if got.Value != c.value || got.Source != c.src {
				t.Errorf("%s = %q from %q, want %q from %q", c.key, got.Value, got.Source, c.value, c.src)
			}
		})
	}
}

// TestConfigShowMasksCredentials puts known secrets in a profile, in
// ~/.wskprops, in the environment and on the command line: config show
// says each is set and where from, and prints none of them.
func TestConfigShowMasksCredentials(t *testing.T) {
	config := fmt.Sprintf("profiles:\n  ow:\n    backend: openwhisk\n    auth: %q\n    storage: \"s3://bucket?endpoint=http://%s@127.0.0.1:9\"\n",
		simAuthFlag, awsKeyID+":"+awsSecret)
	env, path := configHome(t, config, "APIHOST=http://127.0.0.1:9\nAUTH="+wrongUUID+":"+wrongKey+"\n")
	l := &leakScanner{t: t, secrets: []string{owUUID, owKey, wrongUUID, wrongKey, awsKeyID, awsSecret}}
	awsFiles := t.TempDir()
	creds := filepath.Join(awsFiles, "credentials")
	os.WriteFile(creds, []byte("[leaky]\naws_access_key_id = "+awsKeyID+"\naws_secret_access_key = "+awsSecret+"\n"), 0o600)
	lambdaEnv := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SHARED_CREDENTIALS_FILE=" + creds}
	cases := []struct {
		name      string
		env, args []string
		key, src  string
	}{
		{"profile", nil, []string{"--config-profile", "ow"}, "auth", "profile ow in " + path},
		{"wskprops", nil, []string{"--backend", "openwhisk"}, "auth", filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(path))), ".wskprops")},
		{"env", []string{"WHISK_AUTH=" + simAuthFlag}, []string{"--config-profile", "ow"}, "auth", "env WHISK_AUTH"},
		{"flag", nil, []string{"--config-profile", "ow", "--auth", simAuthFlag}, "auth", "flag --auth"},
		{"aws env", []string{"AWS_ACCESS_KEY_ID=" + awsKeyID, "AWS_SECRET_ACCESS_KEY=" + awsSecret}, []string{"--backend", "lambda"}, "credentials", "env AWS_ACCESS_KEY_ID"},
		{"http token", []string{"OVERCAST_TOKEN=" + owKey}, []string{"--backend", "http", "--endpoint", "http://127.0.0.1:9"}, "credentials", "env OVERCAST_TOKEN"},
		{"aws profile", lambdaEnv, []string{"--backend", "lambda", "--profile", "leaky"}, "credentials", "AWS profile leaky"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := append(slices.Clone(env), c.env...)
			s := showJSON(t, e, c.args...)
			if got := s.Settings[c.key]; !got.Secret || !got.Set || got.Value != "" || got.Source != c.src {
				t.Errorf("%s: %+v, want set and secret, from %q", c.key, got, c.src)
			}
			for _, json := range []bool{false, true} {
				args := slices.Clone(c.args)
				if json {
					args = append(args, "--json")
				}
				stdout, stderr, code := binIn(t, e, append([]string{"config", "show"}, args...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				l.check("config show", stdout+stderr)
				if !json && !strings.Contains(stdout, "(set, hidden)") {
					t.Errorf("config show does not say the credentials are set:\n%s", stdout)
				}
			}
		})
	}
	s := showJSON(t, env, "--config-profile", "ow")
	if st := s.Settings["storage"]; !strings.HasPrefix(st.Value, "s3://bucket") || st.Source != "profile ow in "+path {
		t.Errorf("storage %+v, want the bucket without its keys, from the profile", st)
	}
}

// TestConfigErrors checks that every bad file, profile, key and value
// fails the command with one line naming the file, profile and key.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, config string
		env, args    []string
		want         []string
	}{
		{"unknown key", "profiles:\n  p:\n    concurency: 3\n", nil, []string{"--config-profile", "p"}, []string{":3: profile p:", `unknown setting "concurency"`}},
		{"unknown key at top", "workerz: 3\n", nil, nil, []string{":1:", `unknown setting "workerz"`}},
		{"bad value", "profiles:\n  p:\n    concurrency: lots\n", nil, []string{"--config-profile", "p"}, []string{":3: profile p: concurrency:", "lots"}},
		{"bad duration", "outage-wait: soon\n", nil, nil, []string{":1: outage-wait:", "soon"}},
		{"bad backend", "profiles:\n  p:\n    backend: openwisk\n", []string{profileEnv + "=p"}, nil, []string{":3: profile p: backend:", `"openwisk"`}},
		{"value checked later", "backend: openwhisk\ncollect: sometimes\n", nil, nil, []string{"--collect", "sometimes", "collect from config"}},
		{"not a value", "profiles:\n  p:\n    workers: [1, 2]\n", nil, []string{"--config-profile", "p"}, []string{":3: profile p: workers: want a single value"}},
		{"empty value", "workers:\n", nil, nil, []string{":1: workers: want a single value"}},
		{"unknown profile", "profiles:\n  a: {}\n  b: {}\n", nil, []string{"--config-profile", "c"}, []string{`no profile "c"`, "--config-profile", "a, b"}},
		{"unknown profile by env", "profiles:\n  a: {}\n", []string{profileEnv + "=c"}, nil, []string{`no profile "c"`, profileEnv}},
		{"profile without file", "", nil, []string{"--config-profile", "c"}, []string{`no profile "c"`, "does not exist"}},
		{"not yaml", "profiles: {a: [\n", nil, nil, []string{"config.yaml"}},
		{"profiles not a mapping", "profiles: 3\n", nil, nil, []string{":1: profiles must be a mapping"}},
		{"profile not a mapping", "profiles:\n  a: 3\n", nil, nil, []string{":2: profile a must be a mapping"}},
		{"file not a mapping", "- backend\n", nil, nil, []string{":1: the file must be a mapping"}},
		{"key twice", "profiles:\n  a:\n    workers: 1\n    workers: 2\n", nil, nil, []string{":4:", `"workers" is already set on line 3`}},
		{"job id", "job-id: same\n", nil, nil, []string{`unknown setting "job-id"`}},
		{"profile at top level", "big:\n  backend: openwhisk\n", nil, nil, []string{":2: big: want a single value (a profile goes under profiles:)"}},
		{"bad merged value", "x-base: &b\n  workers: many\nprofiles:\n  p:\n    <<: *b\n", nil, []string{"--config-profile", "p"}, []string{":2: profile p: workers:", "many"}},
		{"missing --config", "", nil, []string{"--config", "/nonexistent/overcast.yaml"}, []string{"/nonexistent/overcast.yaml", "no such file"}},
		{"missing OVERCAST_CONFIG", "", []string{configEnv + "=/nonexistent/overcast.yaml"}, nil, []string{"/nonexistent/overcast.yaml", "no such file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, path := configHome(t, c.config, "")
			env = append(env, c.env...)
			for _, cmd := range [][]string{{"run", "pi", "--tasks", "2", "--samples", "10"}, {"config", "show"}} {
				stdout, stderr, code := binIn(t, env, append(cmd, c.args...)...)
				// config show prints what it resolved before it says what run would refuse.
				printed := stdout != "" && (cmd[0] != "config" || c.name != "value checked later")
				if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || printed {
					t.Fatalf("%v: exit %d, want %d and one line on stderr; stdout %q, stderr:\n%s", cmd, code, exitUsage, stdout, stderr)
				}
				want := append([]string{"overcast: "}, c.want...)
				if c.config != "" && !slices.Contains(c.args, "--config") && c.env == nil {
					want = append(want, path)
				}
				for _, w := range want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%v: stderr %q lacks %q", cmd, stderr, w)
					}
				}
			}
		})
	}
}

// TestConfigKeysOfOtherCommands checks that a setting only some commands
// take (concurrency, run's) does not stop one that lacks it (undeploy),
// and that the settings it takes apply.
func TestConfigKeysOfOtherCommands(t *testing.T) {
	env, _ := configHome(t, "concurrency: 10\nsamples: 10\nbackend: openwhisk\napihost: http://127.0.0.1:9\n", "")
	_, stderr, code := binIn(t, env, "undeploy")
	if code == 0 || !strings.Contains(stderr, "credentials") {
		t.Errorf("undeploy with the profile's backend and no credentials: exit %d, stderr %q; want the missing credentials named", code, stderr)
	}
}

// TestProfileRunsOnTheSim runs pi on OpenWhisk (an overcast sim) with no
// backend flag at all: the profile names the backend and the API host,
// ~/.wskprops the credentials. Precedence is checked by its effect: a run
// works only when the sim's address wins over a dead one, at each level.
func TestProfileRunsOnTheSim(t *testing.T) {
	if testing.Short() {
		t.Skip("runs jobs against a sim process")
	}
	apihost, _ := startSimProcess(t, simAuthFlag)
	dead := "http://" + freeLoopback(t)
	config := fmt.Sprintf(`outage-wait: 0s
no-progress: true
no-deploy: true
profiles:
  sim:
    backend: openwhisk
    apihost: %s
    concurrency: 4
  dead:
    backend: openwhisk
    apihost: %s
  sim-with-key:
    backend: openwhisk
    apihost: %s
    auth: %q
`, apihost, dead, apihost, simAuthFlag)
	env, _ := configHome(t, config, "APIHOST="+dead+"\nAUTH="+simAuthFlag+"\n")
	// deploy takes the profile too; the runs then invoke what it deployed.
	if _, stderr, code := binIn(t, env, "deploy", "--config-profile", "sim", "--no-deploy=false"); code == 0 || !strings.Contains(stderr, "unknown flag") {
		t.Fatalf("deploy --no-deploy=false: exit %d, stderr %q; want deploy to lack the flag", code, stderr)
	}
	if stdout, stderr, code := binIn(t, env, "deploy", "--config-profile", "sim"); code != 0 || !strings.Contains(stdout, "overcast on openwhisk: uploaded") {
		t.Fatalf("deploy with the profile: exit %d:\n%s\n%s", code, stdout, stderr)
	}
	pi := []string{"run", "pi", "--samples", "1e5", "--tasks", "4", "--json"}
	cases := []struct {
		name      string
		env, args []string
		ok        bool
	}{
		{"profile over wskprops", nil, []string{"--config-profile", "sim"}, true},
		{"profile by env", []string{profileEnv + "=sim"}, nil, true},
		{"dead profile", nil, []string{"--config-profile", "dead"}, false},
		{"env over profile", []string{"WHISK_APIHOST=" + apihost}, []string{"--config-profile", "dead"}, true},
		{"flag over env", []string{"WHISK_APIHOST=" + dead}, []string{"--config-profile", "sim", "--apihost", apihost}, true},
		{"env over profile, dead", []string{"WHISK_APIHOST=" + dead}, []string{"--config-profile", "sim"}, false},
		{"key in the profile", []string{"WSK_CONFIG_FILE=" + os.DevNull}, []string{"--config-profile", "sim-with-key"}, true},
	}
	l := &leakScanner{t: t, secrets: []string{owUUID, owKey}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l.t = t
			stdout, stderr, code := binIn(t, append(slices.Clone(env), c.env...), append(pi, c.args...)...)
			l.check("stdout", stdout)
			l.check("stderr", stderr)
			if (code == 0) != c.ok {
				t.Fatalf("exit %d, want success %v:\n%s\n%s", code, c.ok, stdout, stderr)
			}
			if !c.ok {
				if !strings.Contains(stderr, strings.TrimPrefix(dead, "http://")) {
					t.Errorf("stderr does not name the dead API host %s:\n%s", dead, stderr)
				}
				return
			}
			var r result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Backend != "openwhisk" || r.FailedTasks != 0 || r.Answer < 3 || r.Answer > 3.3 {
				t.Errorf("result %+v (%v), want pi from 4 tasks on openwhisk", r, err)
			}
		})
	}
	l.t = t
	l.checkHome(env, filepath.Join(strings.TrimPrefix(env[0], "HOME="), "overcast"))
}

// TestProfileSettingsAreJournaled checks that a job records what its
// profile gave it, minus credentials, so that jobs resume runs the same
// job whatever the profile says by then.
func TestProfileSettingsAreJournaled(t *testing.T) {
	env, _ := configHome(t, fmt.Sprintf("profiles:\n  default:\n    tasks: 3\n    samples: 1000\n    auth: %q\n", simAuthFlag), "")
	stdout, stderr, code := binIn(t, env, "run", "pi", "--json", "--no-progress")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode[result](t, stdout, "run pi --json")
	if r.Tasks != 3 {
		t.Errorf("%d tasks, want the profile's 3", r.Tasks)
	}
	stdout, stderr, code = binIn(t, env, "jobs", "show", r.JobID, "--json")
	if code != 0 {
		t.Fatalf("jobs show: exit %d: %s", code, stderr)
	}
	args := decode[struct {
		Args []string `json:"args"`
	}](t, stdout, "jobs show --json").Args
	if !slices.Contains(args, "--tasks=3") || !slices.Contains(args, "--samples=1000") || strings.Contains(strings.Join(args, " "), "auth") {
		t.Errorf("journaled args %q, want the profile's --tasks=3 and --samples=1000 and no auth", args)
	}
}

// TestHelpShowsConfigurationFlags checks that the commands with backend
// flags take --config and --config-profile, in a section of their own,
// and that others do not.
func TestHelpShowsConfigurationFlags(t *testing.T) {
	for _, cmd := range [][]string{{"run", "pi"}, {"deploy"}, {"undeploy"}, {"invoke"}, {"bench", "fanout"}, {"jobs", "logs"}, {"config", "show"}} {
		stdout, _, code := runBin(t, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Configuration flags:") || !strings.Contains(stdout, "--config-profile") {
			t.Errorf("%v --help: exit %d, no Configuration section:\n%s", cmd, code, stdout)
		}
	}
	for _, cmd := range [][]string{{"sim"}, {"worker", "serve"}, {"jobs", "list"}} {
		if stdout, _, _ := runBin(t, append(cmd, "--help")...); strings.Contains(stdout, "--config") {
			t.Errorf("%v --help offers --config:\n%s", cmd, stdout)
		}
	}
}

// TestConfigReadmeExample checks that the README's example configuration
// is a valid file whose profiles resolve as it says.
func TestConfigReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Configuration: profiles")
	if !ok {
		t.Fatal("the README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the README's Configuration section has no yaml block")
	}
	env, path := configHome(t, block, "")
	s := showJSON(t, env)
	if s.Profile != "default" || s.Settings["workers"].Value != "4" || s.Settings["outage-wait"].Source != "config "+path {
		t.Errorf("default profile: %+v", s)
	}
	s = showJSON(t, env, "--config-profile", "big-openwhisk")
	if b := s.Settings["backend"]; b.Value != "openwhisk" || b.Source != "profile big-openwhisk in "+path || s.Settings["concurrency"].Value != "400" {
		t.Errorf("big-openwhisk profile: %+v", s)
	}
}

// TestConfigPath checks where the configuration file is looked for.
func TestConfigPath(t *testing.T) {
	env, path := configHome(t, "", "")
	xdg := t.TempDir()
	cases := []struct {
		name      string
		env, args []string
		want      string
	}{
		{"home", nil, nil, path},
		{"XDG_CONFIG_HOME", []string{"XDG_CONFIG_HOME=" + xdg}, nil, filepath.Join(xdg, "overcast", "config.yaml")},
		{"relative XDG_CONFIG_HOME is ignored", []string{"XDG_CONFIG_HOME=rel"}, nil, path},
		{"OVERCAST_CONFIG", []string{"XDG_CONFIG_HOME=" + xdg, configEnv + "=/etc/oc.yaml"}, nil, "/etc/oc.yaml"},
		{"--config", []string{configEnv + "=/etc/oc.yaml"}, []string{"--config", "/srv/oc.yaml"}, "/srv/oc.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := binIn(t, append(slices.Clone(env), c.env...), append([]string{"config", "path"}, c.args...)...)
			if code != 0 || strings.TrimSpace(stdout) != c.want {
				t.Errorf("exit %d, printed %q, want %q; stderr %s", code, stdout, c.want, stderr)
			}
		})
	}
}

// TestConfigWithoutHome checks that a command started with no home
// directory (cron, a container) runs without a configuration file, and
// that naming a profile then says why there is none.
func TestConfigWithoutHome(t *testing.T) {
	env := []string{"OVERCAST_JOURNAL=off"}
	if _, stderr, code := runEnv(t, env, "run", "pi", "--tasks", "2", "--samples", "100", "--no-progress"); code != 0 {
		t.Errorf("run pi without HOME: exit %d: %s", code, stderr)
	}
	_, stderr, code := runEnv(t, env, "run", "pi", "--tasks", "2", "--samples", "100", "--config-profile", "x")
	if code != exitUsage || !strings.Contains(stderr, `no profile "x"`) || !strings.Contains(stderr, "no home directory") {
		t.Errorf("a profile without HOME: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := runEnv(t, env, "config", "path"); code != exitUsage || !strings.Contains(stderr, "no home directory") {
		t.Errorf("config path without HOME: exit %d, stderr %q", code, stderr)
	}
}
