package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/overcast-sc/overcast"
)

// notices writes, one line each as it happens, what a person running a job
// must know at once whatever the progress settings: the platform (or one
// of several endpoints) stopped answering, and it answers again.
type notices struct {
	mu sync.Mutex
	w  io.Writer
	// name is the program's, which begins every line.
	name string
}

// Wants takes only the platform's events (overcast.EventFilter).
func (n *notices) Wants(k overcast.EventKind) bool {
	return k == overcast.PlatformUnreachable || k == overcast.PlatformReachable
}

// Report writes one line for a platform event.
func (n *notices) Report(e overcast.Event) {
	line := noticeLine(e)
	if line == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintln(n.w, n.name+": "+line)
}

func noticeLine(e overcast.Event) string {
	switch {
	case e.Kind == overcast.PlatformUnreachable && e.Endpoint != "":
		return fmt.Sprintf("endpoint %s is unreachable (%s); the others take its share while it is probed", e.Endpoint, overcast.Gist(e.Err))
	case e.Kind == overcast.PlatformUnreachable && e.Delay > 0:
		return fmt.Sprintf("the platform is unreachable (%s); retrying, waiting up to %v for it (--outage-wait)", overcast.Gist(e.Err), e.Delay)
	case e.Kind == overcast.PlatformUnreachable:
		return fmt.Sprintf("the platform is unreachable (%s); stopping (--outage-wait 0)", overcast.Gist(e.Err))
	case e.Kind == overcast.PlatformReachable && e.Endpoint != "":
		return fmt.Sprintf("endpoint %s answers again; back in rotation", e.Endpoint)
	case e.Kind == overcast.PlatformReachable:
		return fmt.Sprintf("the platform answers again after %v; resuming", e.Delay.Round(100*time.Millisecond))
	}
	return ""
}

// reporters hands every event to each reporter that wants its kind.
type reporters []overcast.Reporter

// Report passes e on.
func (rs reporters) Report(e overcast.Event) {
	for _, r := range rs {
		if f, ok := r.(overcast.EventFilter); !ok || f.Wants(e.Kind) {
			r.Report(e)
		}
	}
}

// Wants reports whether any reporter takes kind k (overcast.EventFilter).
func (rs reporters) Wants(k overcast.EventKind) bool {
	for _, r := range rs {
		if f, ok := r.(overcast.EventFilter); !ok || f.Wants(k) {
			return true
		}
	}
	return false
}
