package cli

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// frontDoor is a platform's front door: a TCP forwarder on a fixed
// 127.0.0.1 port to a sim process. It can break in the middle of an answer
// and stay broken, closing every connection it takes without an answer (as
// a load balancer with no healthy backend does), then mend, while the sim
// behind it keeps its actions and activations.
type frontDoor struct {
	addr, target string
	mu           sync.Mutex
	l            net.Listener
	conns        map[net.Conn]bool
	wg           sync.WaitGroup
	// cutting, when set, is closed once the next answer was cut short.
	cutting chan struct{}
	// broken means connections are closed without an answer.
	broken bool
}

func openFrontDoor(t *testing.T, target string) *frontDoor {
	t.Helper()
	f := &frontDoor{addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	f.l, f.addr = l, l.Addr().String()
	f.wg.Add(1)
	go f.serve(l)
	t.Cleanup(f.kill)
	return f
}

func (f *frontDoor) serve(l net.Listener) {
	defer f.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go f.forward(c)
	}
}

func (f *frontDoor) forward(c net.Conn) {
	defer f.wg.Done()
	if f.isBroken() {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		c.Close()
		return
	}
	if !f.track(c, up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { f.answer(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
	f.mu.Lock()
	delete(f.conns, c)
	delete(f.conns, up)
	f.mu.Unlock()
}

// answer copies answers from up to c until either closes. Once cut is
// armed, it forwards half of the next bytes of an answer, so that the
// client reads an answer that stops in the middle, and breaks the door.
func (f *frontDoor) answer(c, up net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if cut := f.takeCut(); cut != nil {
				c.Write(buf[:max(1, n/2)])
				c.Close()
				f.breakDown()
				close(cut)
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// takeCut returns the armed cut's channel and disarms it, or nil.
func (f *frontDoor) takeCut() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	cut := f.cutting
	f.cutting = nil
	return cut
}

// cut breaks the door in the middle of the next answer it forwards (see
// answer). It fails t when no answer passes within limit.
func (f *frontDoor) cut(t *testing.T, limit time.Duration) {
	t.Helper()
	cut := make(chan struct{})
	f.mu.Lock()
	f.cutting = cut
	f.mu.Unlock()
	select {
	case <-cut:
	case <-time.After(limit):
		t.Fatalf("no answer passed the front door within %v", limit)
	}
}

// breakDown closes every connection and makes the door close the ones it
// takes from now on without an answer.
func (f *frontDoor) breakDown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken = true
	for c := range f.conns {
		c.Close()
	}
}

// mend makes the door forward connections again.
func (f *frontDoor) mend() {
	f.mu.Lock()
	f.broken = false
	f.mu.Unlock()
}

func (f *frontDoor) isBroken() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.broken
}

// track records a connection pair, or closes it when the door is shut
// or broken.
func (f *frontDoor) track(c, up net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l == nil || f.broken {
		c.Close()
		up.Close()
		return false
	}
	f.conns[c], f.conns[up] = true, true
	return true
}

// kill shuts the door: no listener, every connection closed.
func (f *frontDoor) kill() {
	f.mu.Lock()
	if f.l != nil {
		f.l.Close()
		f.l = nil
	}
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// lines collects a process's stderr line by line (it is its Stderr), and
// tells when a line arrives.
type lines struct {
	mu      sync.Mutex
	all     []string
	partial []byte
	got     chan struct{} // receives after each line
}

func newLines() *lines {
	return &lines{got: make(chan struct{}, 1)}
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	l.mu.Unlock()
	select {
	case l.got <- struct{}{}:
	default:
	}
	return len(p), nil
}

// with returns the lines containing s.
func (l *lines) with(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.all {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// await waits up to limit for a line containing s.
func (l *lines) await(t *testing.T, s string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for len(l.with(s)) == 0 {
		select {
		case <-l.got:
		case <-deadline:
			t.Fatalf("no line with %q within %v; stderr so far:\n%s", s, limit, strings.Join(l.with(""), "\n"))
		}
	}
}

const (
	unreachableNote = "the platform is unreachable"
	recoveredNote   = "the platform answers again"
)

// TestOutageMidRunIsAnnouncedOnce runs a pi job on an OpenWhisk sim
// process through a front door that breaks mid-run, in the middle of an
// answer, and mends once the driver has said so: stderr has exactly one
// line saying the platform is unreachable, naming the API host, then
// exactly one saying it answers again, and the answer is exactly the
// local backend's.
func TestOutageMidRunIsAnnouncedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs jobs against a sim process")
	}
	const auth = "0a1b2c3d-0000-4000-8000-000000000001:outage"
	simHost, simLog := startSimProcess(t, auth)
	door := openFrontDoor(t, strings.TrimPrefix(simHost, "http://"))
	dir := t.TempDir()
	props := filepath.Join(dir, "wskprops")
	os.WriteFile(props, []byte("APIHOST=http://"+door.addr+"\nAUTH="+auth+"\nNAMESPACE=guest\n"), 0o600)
	env, _ := homeEnv(t)
	env = append(env, "OVERCAST_JOURNAL=", "WSK_CONFIG_FILE="+props)
	job := []string{"run", "pi", "--samples", "1e9", "--tasks", "200", "--seed", "11", "--json"}

	cmd := exec.Command(binary, append(job, "--backend", "openwhisk", "--concurrency", "1", "--no-progress", "--job-id", "outage")...)
	cmd.Env = append(os.Environ(), env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr := newLines()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	t0 := time.Now()
	waitDone(t, env, "outage", 10)
	t.Logf("10 done after %v", time.Since(t0))
	door.cut(t, time.Minute)
	// Without the notice the driver said nothing for minutes: a generous
	// bound that still proves it did not wait for the activations' time limit.
	stderr.await(t, unreachableNote, 30*time.Second)
	t.Logf("notice after %v", time.Since(t0))
	door.mend()
	select {
	case err := <-exited:
		exited <- err
	case <-time.After(3 * time.Minute):
		t.Fatalf("the job did not end; stderr:\n%s\nsim log:\n%s", strings.Join(stderr.with(""), "\n"), simLog())
	}
	all := strings.Join(stderr.with(""), "\n")
	t.Logf("exit after %v:\n%s", time.Since(t0), all)
	if err := <-exited; err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, all)
	}
	exited <- nil
	down, up := stderr.with(unreachableNote), stderr.with(recoveredNote)
	if len(down) != 1 || len(up) != 1 {
		t.Fatalf("want exactly one unreachable and one recovered line, stderr:\n%s", all)
	}
	if strings.Index(all, down[0]) > strings.Index(all, up[0]) {
		t.Errorf("the recovery was announced before the outage:\n%s", all)
	}
	// The first failure the driver reports is the cut answer's or, as it
	// lists activations several pages at once, that of a request sent
	// with it that the broken door closed or reset: each names the API
	// host (backend/openwhisk's TestConnectionDroppedNamesTheHost checks
	// every form).
	if !strings.Contains(down[0], door.addr) || !strings.Contains(down[0], "--outage-wait") {
		t.Errorf("the notice does not say what failed and how long the job waits: %q", down[0])
	}
	got := decode[result](t, stdout.String(), "run --json")
	t1 := time.Now()
	want, _, code := runJSON(t, job[:len(job)-1]...)
	t.Logf("local run %v", time.Since(t1))
	if code != 0 || got.Answer != want.Answer || got.FailedTasks != 0 {
		t.Errorf("answer %v (%d failed) after the outage, %v locally (exit %d)", got.Answer, got.FailedTasks, want.Answer, code)
	}
}

// TestUnreachablePlatformFailsShortly runs a job against an endpoint on
// a closed port with a short outage wait: stderr says at once that the
// platform is unreachable, then the job stops with one short line naming
// the address, instead of one line per task holding its URL.
func TestUnreachablePlatformFailsShortly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env, _ := homeEnv(t)
	stdout, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e6", "--tasks", "300", "--no-progress",
		"--backend", "lambda", "--endpoint", "http://"+addr, "--outage-wait", "1s", "--job-id", "closed")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 2 {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	if !strings.Contains(lines[0], unreachableNote+" (connection refused to "+addr+")") {
		t.Errorf("first line %q does not say the platform is unreachable", lines[0])
	}
	last := lines[1]
	for _, want := range []string{"no task finished", "the platform was unreachable for 1", "(connection refused to " + addr + ")",
		"overcast jobs resume closed"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
	if len(last) > 250 {
		t.Errorf("last line has %d characters, want a summary under 250: %q", len(last), last)
	}
}

// TestNothingListensAtAPIHost points every command that opens the
// OpenWhisk backend at a closed port on 127.0.0.1: each prints one line
// naming the address, saying nothing listens there and where the API host
// is set, and exits 1.
func TestNothingListensAtAPIHost(t *testing.T) {
	apihost := closedPort(t)
	addr := strings.TrimPrefix(apihost, "http://")
	env, _ := homeEnv(t)
	env = append(env, "HOME="+t.TempDir(), "WSK_CONFIG_FILE=", "WHISK_APIHOST=", "WHISK_AUTH=")
	want := "overcast: openwhisk backend: nothing is listening at " + addr +
		" (connection refused); check the API host (--apihost, APIHOST in ~/.wskprops, WHISK_APIHOST)\n"
	for _, args := range [][]string{
		{"run", "pi", "--tasks", "2"},
		{"deploy"},
		{"undeploy"},
		{"invoke", "selftest/echo"},
		{"doctor"},
	} {
		args = append(args, "--backend", "openwhisk", "--apihost", apihost, "--auth", "0a1b2c3d-0000-4000-8000-000000000001:key")
		stdout, stderr, code := binIn(t, env, args...)
		if code != 1 || stderr != want || stdout != "" {
			t.Errorf("overcast %v: exit %d, stdout %q, stderr %q; want exit 1 and\n%s", args, code, stdout, stderr, want)
		}
	}
}
