package cli

import (
	"bufio"
	"bytes"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/overcast-sc/overcast/internal/testpeer"
)

// Known secrets, shaped like the real ones. Their parts must never appear
// in anything overcast writes.
const (
	owUUID      = "5e3c0b7a-1f2d-4c8e-9a6b-0d4f8e2a7c91"
	owKey       = "Zq8XkP2mW7vT4nR9sL1cJ6hF3dG5bY0aE8uI2oQ7wK4xM1zN9pV3tS6rH5jD0fB7"
	wrongUUID   = "0badc0de-0000-4000-8000-00000000beef"
	wrongKey    = "WrongKey0123456789WrongKey0123456789WrongKey0123456789WrongKey01"
	awsKeyID    = "AKIAOVERCASTLEAKTEST1"
	awsSecret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYOVERCASTLEAK"
	awsSession  = "FwoGZXIvYXdzEOVERCASTSESSIONTOKENLEAKTESTxyz0123456789"
	simAuthFlag = owUUID + ":" + owKey
)

// leakScanner collects everything overcast wrote and fails the test if any
// secret shows up in it.
type leakScanner struct {
	t       *testing.T
	secrets []string
}

func (l *leakScanner) check(where, text string) {
	l.t.Helper()
	for _, s := range l.secrets {
		if strings.Contains(text, s) {
			l.t.Errorf("%s shows the secret %q:\n%s", where, s, text)
		}
	}
}

// checkHome greps every file under an OVERCAST_HOME (journal databases,
// status.json) and the jobs list and show outputs.
func (l *leakScanner) checkHome(env []string, home string) {
	l.t.Helper()
	n := 0
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, rerr := os.ReadFile(p)
			if rerr != nil {
				l.t.Fatal(rerr)
			}
			l.check(p, string(b))
			n++
		}
		return nil
	})
	if n == 0 {
		l.t.Errorf("no journal files under %s", home)
	}
	out, stderr, _ := binIn(l.t, env, "jobs", "list", "--json")
	l.check("jobs list --json", out+stderr)
	for _, s := range decode[[]struct {
		ID string `json:"id"`
	}](l.t, out, "jobs list --json") {
		out, stderr, _ := binIn(l.t, env, "jobs", "show", s.ID, "--json")
		l.check("jobs show --json", out+stderr)
		out, stderr, _ = binIn(l.t, env, "jobs", "show", s.ID)
		l.check("jobs show", out+stderr)
	}
}

// startSimProcess runs overcast sim with auth and returns its APIHOST and
// a function returning what it logged on stderr so far.
func startSimProcess(t *testing.T, auth string) (string, func() string) {
	t.Helper()
	return startSimWith(t, auth, "--mode", "inproc")
}

// startSimWith runs overcast sim with auth and more flags, as
// startSimProcess does.
func startSimWith(t *testing.T, auth string, flags ...string) (string, func() string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sim", "--addr", "127.0.0.1:0", "--auth", auth}, flags...)...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if host, ok := strings.CutPrefix(sc.Text(), "APIHOST="); ok {
			go drain(sc)
			return host, stderr.String
		}
	}
	t.Fatalf("overcast sim printed no APIHOST; stderr: %s", stderr.String())
	return "", nil
}

// drain reads the rest of the sim's stdout.
func drain(sc *bufio.Scanner) {
	for sc.Scan() {
	}
}

// TestNoCredentialLeaks runs jobs on OpenWhisk (a sim process) and on
// Lambda (the Runtime Interface Emulator, when installed) with known
// credentials, including runs that fail because of them, and greps
// everything written: stdout, stderr, the sim's log, the journal's files
// and the jobs commands' outputs.
func TestNoCredentialLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs jobs against a sim process")
	}
	l := &leakScanner{t: t, secrets: []string{owUUID, owKey, wrongUUID, wrongKey, awsKeyID, awsSecret, awsSession}}
	apihost, simLog := startSimProcess(t, simAuthFlag)
	home := t.TempDir()
	props := filepath.Join(home, "wskprops")
	os.WriteFile(props, []byte("APIHOST="+apihost+"\nAUTH="+simAuthFlag+"\n"), 0o600)
	empty := filepath.Join(home, "empty")
	os.WriteFile(empty, nil, 0o600)
	base := []string{"OVERCAST_HOME=" + filepath.Join(home, "overcast"), "HOME=" + home, "OVERCAST_CACHE=" + filepath.Join(home, "cache"),
		"WHISK_APIHOST=", "WHISK_AUTH=", "WHISK_NAMESPACE="}
	pi := []string{"run", "pi", "--samples", "1e6", "--tasks", "4", "--json", "--no-progress", "--backend", "openwhisk"}
	runs := []struct {
		name string
		env  []string
		args []string
		ok   bool
	}{
		{"wskprops", []string{"WSK_CONFIG_FILE=" + props}, nil, true},
		{"--auth", []string{"WSK_CONFIG_FILE=" + empty, "WHISK_APIHOST=" + apihost}, []string{"--auth", simAuthFlag}, true},
		{"WHISK_AUTH", []string{"WSK_CONFIG_FILE=" + empty, "WHISK_APIHOST=" + apihost, "WHISK_AUTH=" + simAuthFlag}, nil, true},
		{"wrong key", []string{"WSK_CONFIG_FILE=" + props}, []string{"--auth", wrongUUID + ":" + wrongKey}, false},
		{"key in the host", []string{"WSK_CONFIG_FILE=" + empty}, []string{"--apihost", strings.Replace(apihost, "://", "://"+owUUID+":"+owKey+"@", 1)}, false},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			l.t = t
			stdout, stderr, code := binIn(t, append(base, r.env...), append(pi, r.args...)...)
			if (code == 0) != r.ok {
				t.Fatalf("exit %d, want success %v:\n%s\n%s", code, r.ok, stdout, stderr)
			}
			if !r.ok && (code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") > 0) {
				t.Errorf("a failed run should exit 1 with one line on stderr; exit %d, stderr:\n%s", code, stderr)
			}
			l.check("stdout", stdout)
			l.check("stderr", stderr)
		})
	}
	l.t = t
	l.checkHome(base, filepath.Join(home, "overcast"))
	l.check("the sim's log", simLog())
	t.Run("lambda", func(t *testing.T) {
		l.t = t
		checkLambdaLeaks(t, l)
	})
}

// checkLambdaLeaks runs a job under the Runtime Interface Emulator with
// known AWS keys in the environment, and one against a wrong endpoint.
func checkLambdaLeaks(t *testing.T, l *leakScanner) {
	aws := []string{"AWS_ACCESS_KEY_ID=" + awsKeyID, "AWS_SECRET_ACCESS_KEY=" + awsSecret, "AWS_SESSION_TOKEN=" + awsSession, "AWS_REGION=us-east-1"}
	home := t.TempDir()
	env := append([]string{"OVERCAST_HOME=" + home, "HOME=" + home}, aws...)
	pi := []string{"run", "pi", "--samples", "1e6", "--tasks", "4", "--json", "--no-progress", "--backend", "lambda"}
	stdout, stderr, code := binIn(t, env, append(pi, "--endpoint", "http://"+freeLoopback(t))...)
	if code != 1 {
		t.Errorf("run against a closed endpoint: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	l.check("stdout", stdout)
	l.check("stderr", stderr)
	for _, kv := range aws { // the emulator, and the worker it runs, see the keys too
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	if ep, ok := tryRIE(t); ok {
		stdout, stderr, code := binIn(t, env, append(pi, "--endpoint", ep)...)
		if code != 0 {
			t.Errorf("run under the emulator: exit %d\n%s\n%s", code, stdout, stderr)
		}
		l.check("stdout", stdout)
		l.check("stderr", stderr)
	} else if testpeer.Required() {
		t.Error("REQUIRE_PEERS=1: aws-lambda-rie not installed; run .ci/install-rie")
	} else {
		t.Log("aws-lambda-rie not installed: only the failing Lambda run was checked")
	}
	l.checkHome(env[:2], home)
}

// tryRIE starts the emulator when it is installed.
func tryRIE(t *testing.T) (ep string, ok bool) {
	t.Helper()
	if _, err := exec.LookPath("aws-lambda-rie"); err != nil {
		out, _ := exec.Command("go", "env", "GOPATH").Output()
		if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(out)), "bin", "aws-lambda-rie")); err != nil {
			return "", false
		}
	}
	return startRIE(t, binary), true
}

// TestInsecureIsExplicit serves the sim's API over TLS with a self-signed
// certificate: without --insecure a run fails with one line naming the
// certificate; with it, the run works and stderr warns.
func TestInsecureIsExplicit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs jobs against a sim process")
	}
	apihost, _ := startSimProcess(t, simAuthFlag)
	target, _ := url.Parse(apihost)
	tlsSrv := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	defer tlsSrv.Close()
	home := t.TempDir()
	env := []string{"OVERCAST_HOME=" + filepath.Join(home, "overcast"), "HOME=" + home, "OVERCAST_CACHE=" + filepath.Join(home, "cache"),
		"WSK_CONFIG_FILE=" + filepath.Join(home, "none"), "WHISK_APIHOST=" + tlsSrv.URL, "WHISK_AUTH=" + simAuthFlag}
	os.WriteFile(filepath.Join(home, "none"), nil, 0o600)
	pi := []string{"run", "pi", "--samples", "1e6", "--tasks", "4", "--json", "--no-progress", "--backend", "openwhisk"}

	stdout, stderr, code := binIn(t, env, pi...)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(stderr, "certificate") {
		t.Errorf("without --insecure: exit %d, stderr %q; want exit 1 and one line about the certificate\n%s", code, stderr, stdout)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("without --insecure, stderr warns: %q", stderr)
	}

	stdout, stderr, code = binIn(t, env, append(pi, "--insecure")...)
	if code != 0 {
		t.Fatalf("with --insecure: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "--insecure") {
		t.Errorf("with --insecure, stderr %q has no warning", stderr)
	}
	for _, s := range []string{owUUID, owKey} {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("output shows a secret:\n%s\n%s", stdout, stderr)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
