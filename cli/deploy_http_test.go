package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/overcast-sc/overcast/deploy"
	"github.com/overcast-sc/overcast/deploy/httpdeploy"
	"github.com/overcast-sc/overcast/internal/testpeer"
)

// deployToken is the credential in the environment of every deploy in
// these tests: no written file may hold it.
const deployToken = "tok-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e"

// httpTargets are each target's deploy flags and the files it writes.
var httpTargets = []struct {
	target string
	args   []string
	files  []string
}{
	{"knative", []string{"--image", "ghcr.io/me/overcast-worker:1"}, []string{"Dockerfile", "overcast", "service.yaml"}},
	{"cloudrun", []string{"--image", "europe-docker.pkg.dev/p/r/overcast:1"}, []string{"Dockerfile", "overcast", "service.yaml"}},
	{"openfaas", []string{"--image", "ttl.sh/overcast:1h"}, []string{"Dockerfile", "overcast", "stack.yml"}},
	{"azure", nil, []string{"host.json", "invoke/function.json", "local.settings.json", "overcast"}},
}

// deployHTTP runs deploy --backend http for a target into a new directory
// and returns it and the output.
func deployHTTP(t *testing.T, target string, args ...string) (dir, stdout string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), target)
	env := append(os.Environ(), httpdeploy.TokenEnv+"="+deployToken)
	all := append([]string{"deploy", "--backend", "http", "--target", target, "--output", dir}, args...)
	stdout, stderr, code := runEnv(t, env, all...)
	if code != 0 {
		t.Fatalf("deploy %v: exit %d: %s", all, code, stderr)
	}
	return dir, stdout
}

// TestDeployHTTPFiles runs deploy --backend http for every target: it
// writes exactly the target's files and a static linux/amd64 worker, none
// of them holds the credential of the deploy's environment, and the output
// ends with the run against the deployed workers.
func TestDeployHTTPFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the binary for each target")
	}
	for _, tt := range httpTargets {
		t.Run(tt.target, func(t *testing.T) {
			dir, stdout := deployHTTP(t, tt.target, tt.args...)
			var files []string
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				if d.IsDir() {
					return nil
				}
				rel, _ := filepath.Rel(dir, path)
				files = append(files, filepath.ToSlash(rel))
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(data, []byte(deployToken)) {
					t.Errorf("%s holds the credential", rel)
				}
				return nil
			})
			slices.Sort(files)
			if !slices.Equal(files, tt.files) {
				t.Errorf("wrote %v, want %v", files, tt.files)
			}
			if err := deploy.Uploadable(filepath.Join(dir, "overcast"), "amd64"); err != nil {
				t.Errorf("the worker binary %v", err)
			}
			if strings.Contains(stdout, deployToken) {
				t.Errorf("the output holds the credential:\n%s", stdout)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			var last string
			for _, l := range lines {
				if strings.HasPrefix(l, "  ") {
					last = strings.TrimSpace(l)
				}
			}
			if !strings.HasPrefix(lines[0], "wrote ") || !strings.HasPrefix(last, "overcast run pi --backend http --endpoint ") {
				t.Errorf("output:\n%s\nwant what was written first and the run last", stdout)
			}
		})
	}
}

// TestDeployHTTPErrors checks that each bad use is one line on stderr and
// a non-zero exit, and writes nothing.
func TestDeployHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "http"}, "needs --target"},
		{[]string{"--backend", "http", "--target", "knative"}, "needs --target"},
		{[]string{"--backend", "http", "--target", "lambda", "--output", "OUT"}, `unknown target "lambda"`},
		{[]string{"--backend", "http", "--target", "knative", "--output", "OUT"}, "name the one to push"},
		{[]string{"--backend", "http", "--target", "knative", "--output", "OUT", "--image", "x:1", "--request-timeout", "11m"}, "10m0s on knative"},
		{[]string{"--backend", "http", "--target", "azure", "--output", "OUT", "--arch", "arm64"}, "linux/amd64 only"},
		{[]string{"--backend", "http", "--target", "knative", "--output", "OUT", "--image", "x:1", "--arch", "mips"}, `--arch must be amd64`},
		{[]string{"--backend", "http", "--target", "knative", "--output", "OUT", "--image", "x:1", "--instance-concurrency", "0"}, "instance-concurrency"},
		{[]string{"--backend", "lambda", "--target", "knative", "--output", "OUT"}, "only for deploy --backend http"},
		{[]string{"--backend", "http", "--target", "azure", "--output", "OUT", "--region", "eu-west-1"}, "--region: not used by deploy --backend http"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"deploy"}, tc.args...)
		for i, a := range args {
			if a == "OUT" {
				args[i] = out
			}
		}
		stdout, stderr, code := runEnv(t, []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, args...)
		line := strings.TrimSpace(stderr)
		if code == 0 || strings.Contains(line, "\n") || !strings.Contains(line, tc.want) {
			t.Errorf("deploy %v: exit %d, stderr %q; want one line with %q", tc.args, code, stderr, tc.want)
		}
		if stdout != "" {
			t.Errorf("deploy %v printed %q", tc.args, stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("deploy %v wrote %s", tc.args, out)
		}
	}
}

// workerCommand is the worker's command line and environment a target's
// files give the container, with its listening address on loopback.
type workerCommand struct {
	args []string
	env  []string
}

// targetWorker reads the worker's command line from a target's files, as
// the platform starts it, and points it at addr: through --addr (which
// tests always pass; the platform sets PORT or FUNCTIONS_CUSTOMHANDLER_PORT
// instead) and, for OpenFaaS, the credential's file at tokenFile.
func targetWorker(t *testing.T, target, dir, addr, tokenFile string) workerCommand {
	t.Helper()
	var args []string
	env := []string{"HOME=" + t.TempDir()}
	switch target {
	case "knative", "cloudrun":
		var svc struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args []string `json:"args"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		readYAML(t, filepath.Join(dir, "service.yaml"), &svc)
		args = svc.Spec.Template.Spec.Containers[0].Args
		env = append(env, httpdeploy.TokenEnv+"="+deployToken)
	case "openfaas":
		var st struct {
			Functions map[string]struct {
				Environment map[string]string `json:"environment"`
			} `json:"functions"`
		}
		readYAML(t, filepath.Join(dir, "stack.yml"), &st)
		fprocess := strings.Fields(st.Functions["overcast"].Environment["fprocess"])
		args = fprocess[1:]
		for i := range args {
			switch {
			case i > 0 && args[i-1] == "--addr":
				args[i] = addr
			case i > 0 && args[i-1] == "--token-file":
				args[i] = tokenFile
			}
		}
		return workerCommand{args, env}
	case "azure":
		var host struct {
			CustomHandler struct {
				Description struct {
					Arguments []string `json:"arguments"`
				} `json:"description"`
			} `json:"customHandler"`
		}
		readYAML(t, filepath.Join(dir, "host.json"), &host)
		args = host.CustomHandler.Description.Arguments
		env = append(env, httpdeploy.TokenEnv+"="+deployToken)
	}
	return workerCommand{append(slices.Clone(args), "--addr", addr), env}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// needWorkerServe fails when the binary has no worker serve command, the
// worker's HTTP mode that the files start.
func needWorkerServe(t *testing.T) {
	t.Helper()
	stdout, _, code := runBin(t, "worker", "serve", "--help")
	if code != 0 || !strings.Contains(stdout, "overcast worker serve") {
		t.Fatalf("overcast worker serve --help: exit %d, want the worker's HTTP mode to run the files' command lines", code)
	}
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDeployHTTPWorkerCommand starts the written worker binary with the
// command line each target's files give it: it serves, answers GET
// /healthz without the credential, and refuses POST /invoke without it or
// with another (401) but takes it with the credential.
func TestDeployHTTPWorkerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	needWorkerServe(t)
	for _, tt := range httpTargets {
		t.Run(tt.target, func(t *testing.T) {
			dir, _ := deployHTTP(t, tt.target, tt.args...)
			tokenFile := filepath.Join(t.TempDir(), "overcast-token")
			os.WriteFile(tokenFile, []byte(deployToken), 0o600)
			addr := freeAddr(t)
			wc := targetWorker(t, tt.target, dir, addr, tokenFile)
			cmd := exec.Command(filepath.Join(dir, "overcast"), wc.args...)
			cmd.Env = wc.env
			var logs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			defer func() {
				cmd.Process.Signal(os.Interrupt)
				<-exited
			}()
			checkWorker(t, "http://"+addr, exited, func() string { return logs.String() })
		})
	}
}

// checkWorker waits for the worker at base to be healthy, then checks
// that it refuses task requests without the credential.
// exited, when closed, says the worker is gone.
func checkWorker(t *testing.T, base string, exited <-chan struct{}, logs func() string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var healthy bool
	for range 200 {
		resp, err := client.Get(base + httpdeploy.HealthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				healthy = true
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("the worker exited: %s", logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !healthy {
		t.Fatalf("no healthy worker at %s: %s", base, logs())
	}
	for _, tc := range []struct {
		auth     string
		refused  bool
		scenario string
	}{
		{"", true, "no credential"},
		{"Bearer wrong-" + deployToken, true, "another credential"},
		{"Bearer " + deployToken, false, "the credential"},
	} {
		req, _ := http.NewRequest("POST", base+httpdeploy.InvokePath, strings.NewReader("{}"))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s with %s: %v", httpdeploy.InvokePath, tc.scenario, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode == http.StatusUnauthorized; got != tc.refused {
			t.Errorf("POST %s with %s: %d %s; refused %v, want %v", httpdeploy.InvokePath, tc.scenario, resp.StatusCode, body, got, tc.refused)
		}
	}
}

// containerEngine returns docker or podman when it can build and run
// images here, else why not.
func containerEngine() (string, error) {
	var why []string
	for _, name := range []string{"docker", "podman"} {
		path, err := exec.LookPath(name)
		if err != nil {
			why = append(why, name+" is not installed")
			continue
		}
		if out, err := exec.Command(path, "info").CombinedOutput(); err != nil {
			why = append(why, fmt.Sprintf("%s info fails (%s)", name, lastLine(string(out))))
			continue
		}
		return path, nil
	}
	return "", fmt.Errorf("%s", strings.Join(why, "; "))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// TestDeployHTTPImage builds the Knative target's image from scratch
// (which needs no registry) with docker or podman, runs it with only PORT
// and the credential set, as the platforms do, and checks the worker in
// it on a loopback port.
func TestDeployHTTPImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	engine, err := containerEngine()
	if err != nil {
		testpeer.SkipPeer(t, "docker", "no container engine builds images here: %v", err)
	}
	needWorkerServe(t)
	dir, _ := deployHTTP(t, "knative", "--image", "overcast-deploy-test:latest", "--base", "scratch")
	tag := fmt.Sprintf("overcast-deploy-test:%d", time.Now().UnixNano())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(engine, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v: %s", filepath.Base(engine), args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("build", "-t", tag, dir)
	t.Cleanup(func() { exec.Command(engine, "rmi", "-f", tag).Run() })
	id := run("run", "-d", "-p", "127.0.0.1::8080", "-e", httpdeploy.TokenEnv+"="+deployToken, tag)
	t.Cleanup(func() { exec.Command(engine, "rm", "-f", id).Run() })
	port := run("port", id, "8080/tcp")
	hostPort := firstLine(port)
	if i := strings.LastIndex(hostPort, ":"); i >= 0 {
		hostPort = hostPort[i+1:]
	}
	checkWorker(t, "http://127.0.0.1:"+hostPort, nil, func() string {
		out, _ := exec.Command(engine, "logs", id).CombinedOutput()
		return string(out)
	})
	var inspect []struct {
		Config struct{ User string }
	}
	if err := json.Unmarshal([]byte(run("inspect", tag)), &inspect); err != nil || len(inspect) != 1 || inspect[0].Config.User != "65532:65532" {
		t.Errorf("the image's user: %+v (%v), want 65532:65532", inspect, err)
	}
}

// TestDeployHTTPReadme checks that the README's deploy examples are what
// deploy prints: every step for Knative, and Azure's publish and run.
func TestDeployHTTPReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the binary")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(readme), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for _, tc := range []struct {
		args []string
		want func(step string) bool
	}{
		{[]string{"--target", "knative", "--output", "deploy/knative", "--image", "ghcr.io/you/overcast-worker:1"}, func(string) bool { return true }},
		{[]string{"--target", "azure", "--output", "deploy/azure", "--service", "my-overcast"}, func(s string) bool {
			return strings.Contains(s, "publish") || strings.HasPrefix(s, "overcast run")
		}},
	} {
		cmdline := "overcast " + strings.Join(append([]string{"deploy", "--backend", "http"}, tc.args...), " ")
		if !lines[cmdline] {
			t.Errorf("the README lacks the line %q", cmdline)
		}
		stdout, stderr, code := runIn(t, binary, t.TempDir(), env, append([]string{"deploy", "--backend", "http"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cmdline, code, stderr)
		}
		for _, l := range strings.Split(stdout, "\n") {
			if step, ok := strings.CutPrefix(l, "  "); ok && tc.want(step) && !lines[step] {
				t.Errorf("%s prints the step %q, which the README lacks", cmdline, step)
			}
		}
	}
}
