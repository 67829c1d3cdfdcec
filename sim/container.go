package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// container is one process of an action's exec speaking the actionloop
// protocol: a /run body as one line on stdin, the result as one line on
// file descriptor 3, logs on stdout and stderr (kept in files so that
// everything written before the result is there when it arrives).
type container struct {
	cmd      *exec.Cmd
	stdin    *os.File // write end of the child's stdin
	fd3      *os.File // read end of the child's fd 3
	out      *bufio.Reader
	logs     [2]*os.File // stdout, stderr
	offsets  [2]int64
	exited   chan struct{}
	killOnce sync.Once
}

var (
	errAck  = errors.New("no acknowledgement")
	errDied = errors.New("process exited")
)

// startContainer starts dir/exec with env and waits up to timeout for its
// {"ok":true} acknowledgement on fd 3. Without it, the container is
// returned with the error, its process killed but its logs readable: the
// caller reads them and kills it.
func startContainer(dir, logDir string, env []string, timeout time.Duration) (*container, error) {
	c := &container{exited: make(chan struct{})}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c.stdin, c.fd3, c.out = inW, outR, bufio.NewReaderSize(outR, 64<<10)
	for i := range c.logs {
		if c.logs[i], err = os.CreateTemp(logDir, "log-"); err == nil {
			err = reopenAppend(&c.logs[i])
		}
		if err != nil {
			c.closeFiles()
			closeAll(inR, inW, outR, outW)
			return nil, err
		}
	}
	c.cmd = exec.Command(filepath.Join(dir, "exec"))
	c.cmd.Dir, c.cmd.Env = dir, env
	c.cmd.Stdin, c.cmd.Stdout, c.cmd.Stderr = inR, c.logs[0], c.logs[1]
	c.cmd.ExtraFiles = []*os.File{outW}
	err = c.cmd.Start()
	closeAll(inR, outW)
	if err != nil {
		c.closeFiles()
		closeAll(inW, outR)
		return nil, err
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	if err := c.ack(timeout); err != nil {
		c.cmd.Process.Kill()
		return c, err
	}
	return c, nil
}

// reopenAppend reopens a new temporary file for appending, so that the
// child's writes always land at its end, even after a truncation.
func reopenAppend(f **os.File) error {
	name := (*f).Name()
	(*f).Close()
	g, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		os.Remove(name)
		return err
	}
	*f = g
	return nil
}

func (c *container) ack(timeout time.Duration) error {
	c.fd3.SetReadDeadline(time.Now().Add(timeout))
	line, _, err := readResult(c.out, 1024)
	if err != nil {
		return fmt.Errorf("%w: %v", errAck, err)
	}
	if string(bytes.TrimSpace(line)) != `{"ok":true}` {
		return fmt.Errorf("%w: got %q", errAck, line)
	}
	return nil
}

// interact writes one /run body and reads the answer line, up to limit
// bytes kept (size counts them all), by deadline.
func (c *container) interact(body []byte, deadline time.Time, limit int) (line []byte, size int, err error) {
	c.stdin.SetWriteDeadline(deadline)
	if _, err := c.stdin.Write(append(body, '\n')); err != nil {
		if os.IsTimeout(err) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("%w: %v", errDied, err)
	}
	c.fd3.SetReadDeadline(deadline)
	line, size, err = readResult(c.out, limit)
	if err != nil && !os.IsTimeout(err) {
		err = fmt.Errorf("%w: %v", errDied, err)
	}
	return line, size, err
}

// maxDiscard bounds how much of an oversized answer is read to measure it.
const maxDiscard = 1 << 30

// readResult reads one line, keeping at most limit+1 bytes of it and
// counting all of them (up to maxDiscard).
func readResult(r *bufio.Reader, limit int) ([]byte, int, error) {
	var line []byte
	size := 0
	for {
		frag, err := r.ReadSlice('\n')
		n := len(frag)
		if err == nil {
			n-- // the newline
		}
		if len(line) <= limit {
			line = append(line, frag[:min(n, limit+1-len(line))]...)
		}
		size += n
		switch {
		case err == nil:
			return line, size, nil
		case errors.Is(err, bufio.ErrBufferFull) && size < maxDiscard:
			continue
		case errors.Is(err, bufio.ErrBufferFull):
			return line, size, errors.New("answer line too long")
		case errors.Is(err, io.EOF) && size > 0:
			return line, size, io.ErrUnexpectedEOF
		}
		return line, size, err
	}
}

// collectLogs returns the lines written since the last call, as a
// controller keeps them (see logCollector), up to limit bytes in all.
func (c *container) collectLogs(limit int) []string {
	lc := logCollector{limit: limit}
	now := time.Now()
	for i, stream := range []string{"stdout", "stderr"} {
		f := c.logs[i]
		st, err := f.Stat()
		if err != nil || st.Size() <= c.offsets[i] {
			continue
		}
		buf := make([]byte, min(st.Size()-c.offsets[i], int64(limit)+1))
		n, _ := f.ReadAt(buf, c.offsets[i])
		c.offsets[i] = st.Size()
		lc.add(now, stream, string(buf[:n]))
		if c.offsets[i] > 4<<20 && f.Truncate(0) == nil {
			c.offsets[i] = 0
		}
	}
	return lc.lines
}

// kill ends the process and releases its files.
func (c *container) kill() {
	c.killOnce.Do(func() {
		c.cmd.Process.Kill()
		go func() {
			<-c.exited
			c.stdin.Close()
			c.fd3.Close()
			c.closeFiles()
		}()
	})
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func (c *container) closeFiles() {
	for _, f := range c.logs {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}
