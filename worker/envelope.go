package worker

import (
	"encoding/json"
	"fmt"
	"time"
)

// Request is the task envelope: what a platform hands a worker for one
// attempt of one task.
type Request struct {
	Task    string `json:"task"`
	Job     string `json:"job,omitempty"`
	Index   int    `json:"index"`
	Attempt int    `json:"attempt,omitempty"`
	// DeadlineMS is the attempt's deadline in Unix milliseconds; zero means none.
	DeadlineMS int64 `json:"deadline_ms,omitempty"`
	// Limit is the largest envelope, request or answer, that the platform
	// carries, in bytes; zero means no limit. A worker whose answer would
	// not fit (see Fits) writes the output to Storage under OutputKey and
	// answers with the key, or, without storage, fails the task saying so.
	Limit int `json:"limit,omitempty"`
	// Storage is the URL of the bucket that carries payloads over Limit
	// (package storage); empty means none.
	Storage string `json:"storage,omitempty"`
	// InputKey, when set, names the object in Storage that holds the
	// input, which was too big to travel in the envelope; Input is null.
	InputKey string `json:"input_key,omitempty"`
	// OutputKey names the object in Storage that takes an output too big
	// for the answer; it is unique to the attempt.
	OutputKey string          `json:"output_key,omitempty"`
	Input     json.RawMessage `json:"input"`
}

// Response is the worker's answer. Exactly one of Output, OutputKey and
// Error is set. The field name "error" is deliberate: OpenWhisk counts a
// result object with an "error" field as an application error.
type Response struct {
	Output json.RawMessage `json:"output,omitempty"`
	// OutputKey names the object in the request's Storage that holds the
	// output, when it was too big for the answer.
	OutputKey string     `json:"output_key,omitempty"`
	Error     *TaskError `json:"error,omitempty"`
	Stats     Stats      `json:"stats"`
}

// Stats is the worker's own timing of one attempt.
type Stats struct {
	// StartNS and EndNS are Unix nanoseconds on the worker's clock.
	StartNS int64 `json:"start_ns"`
	EndNS   int64 `json:"end_ns"`
	// Cold is true on the first task a worker process runs.
	Cold bool `json:"cold,omitempty"`
	// ReadBytes and WrittenBytes are the bytes the task read from and
	// wrote to storage through package storage (storage.IOCount); zero
	// for a task that moved none, and from workers that do not count.
	ReadBytes    int64 `json:"read_bytes,omitempty"`
	WrittenBytes int64 `json:"written_bytes,omitempty"`
}

// Start returns the start time.
func (s Stats) Start() time.Time { return time.Unix(0, s.StartNS) }

// End returns the end time.
func (s Stats) End() time.Time { return time.Unix(0, s.EndNS) }

// TaskError is a task's own failure: an error it returned, a panic, or an
// input it could not decode.
type TaskError struct {
	// Kind is "error", "panic", "input", "output", "unknown-task" or
	// "timeout". An "output" error is an output that could not be
	// delivered: too big for the platform and no storage to carry it, or
	// storage that failed.
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Stack   string `json:"stack,omitempty"`
}

func (e *TaskError) Error() string {
	switch e.Kind {
	case "error", "":
		return e.Message
	case "panic":
		return "panic: " + e.Message
	default:
		return e.Kind + ": " + e.Message
	}
}

// EncodeRequest returns the wire form of r.
func EncodeRequest(r *Request) ([]byte, error) {
	if len(r.Input) > 0 && !json.Valid(r.Input) {
		return nil, fmt.Errorf("encode task envelope: input is not valid JSON")
	}
	return AppendRequest(make([]byte, 0, 64+len(r.Input)), r), nil
}

// DecodeRequest parses the wire form of a Request.
func DecodeRequest(b []byte) (*Request, error) {
	var r Request
	if fastRequest(b, &r) && r.Task != "" {
		return &r, nil
	}
	r = Request{}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode task envelope: %w", err)
	}
	if r.Task == "" {
		return nil, fmt.Errorf("decode task envelope: no task name")
	}
	return &r, nil
}

// DecodeResponse parses the wire form of a Response.
func DecodeResponse(b []byte) (*Response, error) {
	var r Response
	if fastResponse(b, &r) {
		return &r, nil
	}
	r = Response{}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode task response: %w", err)
	}
	if r.Error == nil && r.Output == nil && r.OutputKey == "" {
		return nil, fmt.Errorf("decode task response: neither output nor error")
	}
	return &r, nil
}
