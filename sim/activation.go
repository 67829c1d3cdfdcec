package sim

import (
	"encoding/json"
	"sync/atomic"
	"time"
)

// Activation statuses, in OpenWhisk's statusCode order.
const (
	statusSuccess = iota
	statusApplicationError
	statusDeveloperError
	statusInternalError
)

var statusNames = [...]string{"success", "application error", "action developer error", "whisk internal error"}

// record is one finished activation.
type record struct {
	id      string
	ns      string
	name    string // the action's name, package included
	version string
	kind    string
	limits  actionLimits
	start   time.Time
	end     time.Time
	wait    time.Duration
	init    time.Duration // zero on a warm start
	cold    bool
	timeout bool
	status  int
	result  json.RawMessage // a JSON object (or array)
	logs    []string
	// encoded is the record's JSON once marshal made it: a record does not
	// change once made, and listings send it again and again.
	encoded atomic.Pointer[[]byte]
}

type keyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type responseDoc struct {
	Status     string          `json:"status"`
	StatusCode int             `json:"statusCode"`
	Success    bool            `json:"success"`
	Result     json.RawMessage `json:"result"`
	Size       int             `json:"size"`
}

// activationDoc is the record as OpenWhisk answers it.
type activationDoc struct {
	ActivationID string       `json:"activationId"`
	Namespace    string       `json:"namespace"`
	Name         string       `json:"name"`
	Version      string       `json:"version"`
	Subject      string       `json:"subject,omitempty"`
	Publish      bool         `json:"publish"`
	Start        int64        `json:"start"`
	End          int64        `json:"end"`
	Duration     int64        `json:"duration"`
	StatusCode   *int         `json:"statusCode,omitempty"`
	Annotations  []keyValue   `json:"annotations"`
	Logs         *[]string    `json:"logs,omitempty"`
	Response     *responseDoc `json:"response,omitempty"`
}

func (r *record) annotations() []keyValue {
	a := []keyValue{
		{"path", r.ns + "/" + r.name},
		{"waitTime", r.wait.Milliseconds()},
		{"kind", r.kind},
		{"timeout", r.timeout},
		{"limits", r.limits},
	}
	if r.cold {
		a = append(a, keyValue{"initTime", r.init.Milliseconds()})
	}
	return a
}

// doc returns the full record.
func (r *record) doc() *activationDoc {
	d := r.summary()
	d.StatusCode = nil
	d.Subject = r.ns
	logs := r.logs
	if r.status == statusDeveloperError {
		logs = append(logs[:len(logs):len(logs)], logLine(r.end, "stderr", msgLogWarningDeveloperError))
	}
	if logs == nil {
		logs = []string{}
	}
	d.Logs = &logs
	d.Response = &responseDoc{
		Status:     statusNames[r.status],
		StatusCode: r.status,
		Success:    r.status == statusSuccess,
		Result:     r.result,
		Size:       len(r.result),
	}
	return d
}

// summary returns the record as a listing without docs shows it.
func (r *record) summary() *activationDoc {
	code := r.status
	return &activationDoc{
		ActivationID: r.id,
		Namespace:    r.ns,
		Name:         r.name,
		Version:      r.version,
		Start:        r.start.UnixMilli(),
		End:          r.end.UnixMilli(),
		Duration:     r.end.Sub(r.start).Milliseconds(),
		StatusCode:   &code,
		Annotations:  r.annotations(),
	}
}

// marshal encodes the full record, once; callers must not modify the
// bytes.
func (r *record) marshal() []byte {
	if b := r.encoded.Load(); b != nil {
		return *b
	}
	b, err := json.Marshal(r.doc())
	if err != nil { // results are checked JSON when stored
		panic(err)
	}
	r.encoded.Store(&b)
	return b
}
