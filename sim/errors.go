package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// OpenWhisk's messages, word for word where clients may match them.
const (
	msgNoAuth        = "The resource requires authentication, which was not supplied with the request"
	msgBadAuth       = "The supplied authentication is invalid"
	msgNotFound      = "The requested resource does not exist."
	msgExists        = "resource already exists"
	msgUnavailable   = "The server is currently unavailable (because it is overloaded or down for maintenance)."
	msgInternal      = "The server encountered an unexpected condition which prevented it from fulfilling the request."
	msgBadGateway    = "The server received an invalid response from an upstream server."
	msgAbnormalRun   = "The action did not produce a valid response and exited unexpectedly."
	msgAbnormalInit  = "The action did not initialize and exited unexpectedly."
	msgMethodAllowed = "The request method is not supported for the requested resource."
)

func msgForbidden(ns string) string {
	return fmt.Sprintf("The supplied authentication is not authorized to access '%s'.", ns)
}

func msgPerMinute(count, allowed int) string {
	return fmt.Sprintf("Too many requests in the last minute (count: %d, allowed: %d).", count, allowed)
}

func msgConcurrent(count, allowed int) string {
	return fmt.Sprintf("Too many concurrent requests in flight (count: %d, allowed: %d).", count, allowed)
}

func msgTooLarge(what string, size, allowed int) string {
	return fmt.Sprintf("%s larger than allowed: %d > %d bytes.", what, size, allowed)
}

func msgTimeout(ms int) string {
	return fmt.Sprintf("The action exceeded its time limits of %d milliseconds.", ms)
}

func msgTruncated(size, allowed int) string {
	return fmt.Sprintf("The action produced a response that exceeded the allowed length: %d > %d bytes.", size, allowed)
}

func msgInvalidResponse(got string) string {
	if len(got) > 200 {
		got = got[:200] + "..."
	}
	return "The action did not produce a valid JSON response: " + got
}

func msgMalformed(detail string) string {
	return "The request content was malformed:\n" + detail
}

// errorBody is OpenWhisk's error document.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError answers with OpenWhisk's error document.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Code: newID()})
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response","code":"0"}`)
	}
	writeRaw(w, status, b)
}

// jsonContentType is every answer's Content-Type; nothing modifies it.
var jsonContentType = []string{"application/json"}

// writeRaw answers with b, which is JSON.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(b)
}
