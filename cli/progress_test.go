package cli

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen replays what a program wrote to a terminal and returns the lines
// left on it. It knows what the progress bar uses: carriage return, line
// feed, cursor up (ESC [ n A) and erase below (ESC [ J) or to the end of
// the line (ESC [ K); other escapes are skipped.
func screen(out string) []string {
	rows := [][]rune{nil}
	row, col := 0, 0
	put := func(r rune) {
		line := rows[row]
		for len(line) < col {
			line = append(line, ' ')
		}
		if col < len(line) {
			line[col] = r
		} else {
			line = append(line, r)
		}
		rows[row] = line
		col++
	}
	in := []rune(out)
	for i := 0; i < len(in); i++ {
		switch r := in[i]; {
		case r == '\r':
			col = 0
		case r == '\n':
			row++
			col = 0
			if row == len(rows) {
				rows = append(rows, nil)
			}
		case r == 0x1b && i+1 < len(in) && in[i+1] == '[':
			j := i + 2
			for j < len(in) && (in[j] >= '0' && in[j] <= '9' || in[j] == ';' || in[j] == '?') {
				j++
			}
			if j == len(in) {
				i = j
				break
			}
			n, err := strconv.Atoi(string(in[i+2 : j]))
			if err != nil {
				n = 1
			}
			switch in[j] {
			case 'A':
				row = max(0, row-n)
			case 'J':
				rows[row] = rows[row][:min(col, len(rows[row]))]
				rows = rows[:row+1]
			case 'K':
				rows[row] = rows[row][:min(col, len(rows[row]))]
			}
			i = j
		case r >= ' ':
			put(r)
		}
	}
	lines := make([]string, 0, len(rows))
	for _, r := range rows {
		if s := strings.TrimRight(string(r), " "); s != "" {
			lines = append(lines, s)
		}
	}
	return lines
}

func TestScreenReplaysCursorMoves(t *testing.T) {
	got := screen("estimate\nbar 1\n\x1b[1A\x1b[Jbar 2\n\x1b[1A\x1b[JPARTIAL x\r\n")
	if strings.Join(got, "|") != "estimate|PARTIAL x" {
		t.Fatalf("screen = %q", got)
	}
}

// ptyOutput collects what a program writes to its terminal.
type ptyOutput struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls until the output matches re, for at most limit.
func (o *ptyOutput) waitFor(re *regexp.Regexp, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if re.MatchString(o.String()) {
			return true
		}
	}
	return false
}

// TestProgressBarETAAndCleanInterrupt runs a job on a terminal: its bar
// shows an ETA, and after Ctrl-C no line of the bar is left above the
// PARTIAL summary.
func TestProgressBarETAAndCleanInterrupt(t *testing.T) {
	cmd := exec.Command(binary, "run", "pi", "--samples", "4e10", "--tasks", "2000")
	cmd.Env = append(os.Environ(), "OVERCAST_JOURNAL=off")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer tty.Close()
	var out ptyOutput
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4096)
		for {
			n, err := tty.Read(b)
			out.mu.Lock()
			out.buf.Write(b[:n])
			out.mu.Unlock()
			if err != nil { // EIO once the program has exited
				return
			}
		}
	}()
	eta := regexp.MustCompile(`pi/sample .*ETA \d`)
	if !out.waitFor(eta, 60*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no bar with an ETA on the terminal:\n%q", out.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("overcast did not stop after SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit %v; want 1 for an interrupted job", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal did not close after the program exited")
	}
	lines := screen(out.String())
	partial := -1
	for i, l := range lines {
		if strings.Contains(l, "pi/sample") && strings.Contains(l, "tasks") {
			t.Errorf("line %d is left from the bar: %q", i, l)
		}
		if strings.HasPrefix(l, "PARTIAL (") {
			partial = i
		}
	}
	if partial < 0 {
		t.Errorf("no PARTIAL summary on the terminal")
	}
	if t.Failed() {
		t.Logf("screen:\n%s\nraw: %q", strings.Join(lines, "\n"), out.String())
	}
}
