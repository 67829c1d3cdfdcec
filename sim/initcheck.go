package sim

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"time"

	"github.com/overcast-sc/overcast/internal/ctxtime"
)

// msgCannotStart is what the Go runtime's proxy answers an /init it
// refuses (with OW_LOG_INIT_ERROR set, as its images set it).
const msgCannotStart = "Cannot start action. Check logs for details."

// checkExecEnv checks an action's exec.env against its kind's image as the
// Go runtime's proxy does at /init. It returns nil when the action starts,
// else the lines the proxy writes to stdout and stderr in refusing it.
func checkExecEnv(zr *zip.Reader, k *Kind) []streamText {
	want := k.ExecEnv()
	if want == "" {
		return nil
	}
	got, ok := readExecEnv(zr)
	switch {
	case !ok:
		return []streamText{{"stderr", "open ./action/1/bin/exec.env: no such file or directory"}}
	case string(bytes.TrimSpace(got)) != want:
		return []streamText{
			{"stdout", "Expected exec.env should start with " + want},
			{"stdout", "Actual value: " + string(got)},
			{"stderr", "Execution environment version mismatch. See logs for details."},
		}
	}
	return nil
}

// streamText is output written to one stream: "stdout" or "stderr".
type streamText struct{ stream, text string }

// readExecEnv returns the top-level exec.env of an action's zip (its
// first 4 KiB), and whether there is one.
func readExecEnv(zr *zip.Reader) ([]byte, bool) {
	for _, f := range zr.File {
		if f.Name != "exec.env" || !f.Mode().IsRegular() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, false
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, 4<<10))
		return b, err == nil
	}
	return nil, false
}

// initFailure is the executor of an action its runtime refuses to start:
// each activation is a cold start whose /init fails, as on a controller
// (status "action developer error", the proxy's message as the error, the
// proxy's lines in the logs).
type initFailure struct {
	s    *Server
	a    *action
	logs []streamText
}

func (f *initFailure) run(ctx context.Context, j *job) outcome {
	o := outcome{start: time.Now(), cold: true}
	f.s.stats.coldStarts.Add(1)
	ctxtime.Sleep(ctx, f.s.opts.ColdStart)
	o.end = time.Now()
	o.init = o.end.Sub(o.start)
	o.status, o.result = statusDeveloperError, errorResult(msgCannotStart)
	c := logCollector{limit: f.a.limits.Logs << 20}
	for _, l := range f.logs {
		c.add(o.end, l.stream, l.text)
	}
	o.logs = c.lines
	return o
}

func (f *initFailure) close() {}
