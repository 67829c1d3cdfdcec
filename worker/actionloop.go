package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// MaxActionLoopLine bounds one line of the actionloop protocol. OpenWhisk
// limits parameters to 1 MB by default; the bound leaves room for
// deployments that raise it while keeping a runaway line from exhausting
// memory.
const MaxActionLoopLine = 64 << 20

// ActionLoopDetect reports whether an OpenWhisk actionloop proxy (the Go
// runtime's) started this process as an action's exec: no arguments, some
// __OW_ variable in the environment (given as "KEY=value" strings), and a
// writable file descriptor 3 for the answers (fd3, see FD3Writable). The
// proxy always opens fd 3; dockerskeleton never does.
func ActionLoopDetect(args, environ []string, fd3 bool) bool {
	return len(args) == 0 && fd3 && hasOWVariable(environ)
}

// BlackboxDetect reports whether the dockerskeleton proxy (the blackbox
// kind's actionproxy.py) started this process for one activation. It
// passes the parameters as the only argument, a JSON object, when they
// fit in one argument (at most 131,071 bytes, Linux's MAX_ARG_STRLEN),
// and otherwise on stdin only, with no argument, __OW_ variables in the
// environment and no file descriptor 3 (fd3 false).
func BlackboxDetect(args, environ []string, fd3 bool) bool {
	if len(args) == 1 {
		return strings.HasPrefix(strings.TrimSpace(args[0]), "{")
	}
	return len(args) == 0 && !fd3 && hasOWVariable(environ)
}

func hasOWVariable(environ []string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "__OW_") {
			return true
		}
	}
	return false
}

// runBody is the part of the proxy's /run body the worker reads.
type runBody struct {
	Value        json.RawMessage `json:"value"`
	ActivationID string          `json:"activation_id"`
	Deadline     json.RawMessage `json:"deadline"`
}

// ServeActionLoop speaks the actionloop protocol until stdin ends or ctx is
// done. When __OW_WAIT_FOR_ACK is set in the environment, it first writes
// {"ok":true} on fd3. Then, for each line of stdin (a /run
// body whose "value" is an encoded Request) it runs the task with Handle,
// bounded by the body's "deadline", and writes the encoded Response as one
// line on fd3. Every line gets exactly one answer line, since the proxy
// waits for one answer per /run: a blank line, or one it cannot read, is
// answered with an input error, never skipped and never by exiting. logs
// receives one line per problem.
func ServeActionLoop(ctx context.Context, stdin io.Reader, fd3 io.Writer, logs io.Writer) error {
	out := bufio.NewWriter(fd3)
	if os.Getenv("__OW_WAIT_FOR_ACK") != "" {
		if _, err := out.WriteString("{\"ok\":true}\n"); err != nil {
			return fmt.Errorf("actionloop: acknowledge: %w", err)
		}
		if err := out.Flush(); err != nil {
			return fmt.Errorf("actionloop: acknowledge: %w", err)
		}
	}
	in := bufio.NewReaderSize(stdin, 64<<10)
	for ctx.Err() == nil {
		line, err := readLine(in, MaxActionLoopLine)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return nil
		}
		var answer []byte
		switch {
		case errors.Is(err, errLineTooLong):
			fmt.Fprintf(logs, "overcast actionloop: %v\n", err)
			answer = inputError(err.Error())
		case err != nil && !errors.Is(err, io.EOF):
			return fmt.Errorf("actionloop: read stdin: %w", err)
		case len(bytes.TrimSpace(line)) == 0:
			fmt.Fprintln(logs, "overcast actionloop: blank /run body")
			answer = inputError("blank actionloop body: no parameters")
		default:
			answer = runLine(ctx, line, logs)
		}
		if err := writeLine(out, answer); err != nil {
			return fmt.Errorf("actionloop: write fd 3: %w", err)
		}
	}
	return ctx.Err()
}

// runLine runs one /run body and returns the encoded Response.
func runLine(ctx context.Context, line []byte, logs io.Writer) []byte {
	var body runBody
	if err := json.Unmarshal(line, &body); err != nil {
		fmt.Fprintf(logs, "overcast actionloop: bad /run body: %v\n", err)
		return inputError("bad actionloop body: " + err.Error())
	}
	if len(body.Value) == 0 || body.Value[0] != '{' {
		return inputError("actionloop body has no parameters object under \"value\"")
	}
	if d, ok := parseDeadline(body.Deadline); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	return Handle(ctx, body.Value)
}

// parseDeadline reads the /run body's deadline: epoch milliseconds as a
// string (what the invoker sends) or as a number.
func parseDeadline(raw json.RawMessage) (time.Time, bool) {
	s := strings.Trim(string(raw), `"`)
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

func inputError(msg string) []byte {
	return AppendResponse(nil, &Response{Error: &TaskError{Kind: "input", Message: msg}, Stats: stats(time.Now())})
}

func writeLine(w *bufio.Writer, b []byte) error {
	w.Write(b)
	w.WriteByte('\n')
	return w.Flush()
}

var errLineTooLong = fmt.Errorf("actionloop line longer than %d bytes", MaxActionLoopLine)

// readLine reads one line without its newline. A line over max bytes is
// consumed and reported as errLineTooLong. At the end of input it returns
// what it read with io.EOF.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		frag, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(frag) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			if err == nil {
				err = errLineTooLong
			}
			return nil, err
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

// ServeBlackbox runs one activation the dockerskeleton way: the encoded
// Request is the only argument in args or, when args is empty (inputs over
// one argument's limit), all of stdin. The encoded Response is printed as
// the last line of stdout.
func ServeBlackbox(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	var params []byte
	if len(args) == 1 {
		params = []byte(args[0])
	} else {
		b, err := io.ReadAll(io.LimitReader(stdin, MaxActionLoopLine+1))
		if err != nil {
			return fmt.Errorf("blackbox: read stdin: %w", err)
		}
		params = b
	}
	var answer []byte
	switch {
	case len(params) > MaxActionLoopLine:
		answer = inputError(fmt.Sprintf("blackbox parameters longer than %d bytes", MaxActionLoopLine))
	case len(bytes.TrimSpace(params)) == 0:
		answer = inputError("blank blackbox parameters")
	default:
		answer = Handle(ctx, bytes.TrimSpace(params))
	}
	_, err := fmt.Fprintf(stdout, "%s\n", answer)
	return err
}
