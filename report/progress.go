package report

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
)

// Progress draws a progress bar from job events. It is an overcast.Reporter.
type Progress struct {
	p                        *mpb.Progress
	bar                      atomic.Pointer[mpb.Bar]
	failed, retried, running atomic.Int64
	throttled                atomic.Int64
}

// NewProgress draws on w, which should be a terminal.
func NewProgress(w io.Writer) *Progress {
	return &Progress{p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh())}
}

// Report updates the bar.
func (p *Progress) Report(e overcast.Event) {
	switch e.Kind {
	case overcast.JobStarted:
		p.start(e)
	case overcast.Started:
		p.running.Add(1)
	case overcast.Finished:
		p.running.Add(-1)
		p.incr()
	case overcast.Failed:
		p.running.Add(-1)
		p.failed.Add(1)
		p.incr()
	case overcast.Retried:
		p.running.Add(-1)
		p.retried.Add(1)
		if e.Code == backend.ResourceExhausted {
			p.throttled.Add(1)
		}
	case overcast.JobFinished:
		p.clear()
	}
}

// clear removes a bar that did not complete (an interrupted job), so that
// what is printed next starts on a clean line; a complete bar stays.
func (p *Progress) clear() {
	if b := p.bar.Load(); b != nil && !b.Completed() {
		b.Abort(true)
	}
}

func (p *Progress) start(e overcast.Event) {
	info := decor.Any(func(decor.Statistics) string {
		s := fmt.Sprintf(" %d running", p.running.Load())
		if n := p.failed.Load(); n > 0 {
			s += fmt.Sprintf(", %d failed", n)
		}
		if n := p.retried.Load(); n > 0 {
			s += fmt.Sprintf(", %d retried", n)
		}
		if n := p.throttled.Load(); n > 0 {
			s += fmt.Sprintf(", throttled %d×", n)
		}
		return s
	})
	// The ETA is the time per task so far times the tasks left, shown once
	// a task has finished.
	avg := decor.AverageETA(decor.ET_STYLE_GO)
	eta := decor.Any(func(s decor.Statistics) string {
		if s.Current == 0 {
			return "?"
		}
		text, _ := avg.Decor(s)
		return text
	})
	bar := p.p.AddBar(int64(e.Tasks),
		mpb.PrependDecorators(decor.Name(e.Task+" "), decor.CountersNoUnit("%d/%d tasks")),
		mpb.AppendDecorators(decor.Percentage(), info, decor.Name(" "), decor.Elapsed(decor.ET_STYLE_GO),
			decor.OnComplete(decor.Name(", ETA "), ""), decor.OnComplete(eta, "")))
	if old := p.bar.Swap(bar); old != nil {
		old.Abort(true)
	}
}

func (p *Progress) incr() {
	if b := p.bar.Load(); b != nil {
		b.Increment()
	}
}

// Wait waits for the bar to finish drawing, having removed it if the job
// did not complete.
func (p *Progress) Wait() {
	p.clear()
	p.p.Wait()
}

// Write prints p above the bar, for lines that must not tear it.
func (p *Progress) Write(b []byte) (int, error) { return p.p.Write(b) }
