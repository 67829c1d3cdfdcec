package overcast

import (
	"time"

	"github.com/overcast-sc/overcast/backend"
)

// EventKind says what happened to a job or task.
type EventKind int

// The event kinds, in the order a task meets them.
const (
	// JobStarted opens a job; Event.Tasks holds its size.
	JobStarted EventKind = iota
	// Queued: the task waits for a free slot.
	Queued
	// Started: an attempt was handed to the backend.
	Started
	// Finished: the task produced its output.
	Finished
	// Retried: an attempt failed and another will follow after Event.Delay.
	Retried
	// Failed: the task gave up; Event.Err says why.
	Failed
	// JobFinished closes a job.
	JobFinished
	// PlatformUnreachable: the platform stopped answering (or, with
	// Event.Endpoint set, one of several endpoints did, and the others
	// take its share); Err says why. For the platform, Delay is how long
	// the job waits for it before it stops; attempts meanwhile are probes
	// that do not count against MaxAttempts.
	PlatformUnreachable
	// PlatformReachable: the platform (or Event.Endpoint) answers again;
	// Delay is how long it did not.
	PlatformReachable
)

var kindNames = [...]string{"job-started", "queued", "started", "finished", "retried", "failed", "job-finished",
	"platform-unreachable", "platform-reachable"}

func (k EventKind) String() string { return kindNames[k] }

// Event is one step of a job, delivered to a Reporter.
type Event struct {
	Kind    EventKind
	Job     string
	Task    string
	Index   int
	Attempt int
	Time    time.Time
	// Tasks is the job size (JobStarted only).
	Tasks int
	// Err and Code describe a failed attempt (Retried, Failed).
	Err  error
	Code backend.ErrorCode
	// Delay is the backoff before the next attempt (Retried; zero when the
	// task waits for an unreachable platform), the wait for the platform
	// (PlatformUnreachable) or the outage's length (PlatformReachable).
	Delay time.Duration
	// Endpoint names the one endpoint of several that a
	// PlatformUnreachable or PlatformReachable event is about; empty means
	// the platform as a whole.
	Endpoint string
}

// Reporter receives events. Report is called from many goroutines and must
// be quick and safe for concurrent use.
type Reporter interface {
	Report(Event)
}

// EventFilter is an optional interface of Reporters that want only some
// kinds of events: the scheduler does not build the others.
type EventFilter interface {
	Wants(EventKind) bool
}

// ReporterFunc adapts a function to a Reporter.
type ReporterFunc func(Event)

// Report calls f(e).
func (f ReporterFunc) Report(e Event) { f(e) }
