package httpfn

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serveCallback takes one result the gateway posts to
// .../callback/N/TOKEN. It answers 404 for a call nobody waits for (given
// up, or answered already), 403 for a wrong token, 400 for a malformed
// callback and 413 for a body over the bound; only a callback answered
// 200 completes a call.
func (a *Async) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "callbacks are POSTed", http.StatusMethodNotAllowed)
		return
	}
	n, token, ok := callbackPath(r.URL.Path)
	if !ok {
		http.Error(w, "not a callback URL", http.StatusNotFound)
		return
	}
	a.mu.Lock()
	c := a.calls[n]
	a.mu.Unlock()
	if c == nil {
		http.Error(w, "no call waits for this callback", http.StatusNotFound)
		return
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(c.token)) != 1 {
		a.refused.Add(1)
		http.Error(w, "wrong callback token", http.StatusForbidden)
		return
	}
	res, code := a.readCallback(w, r)
	select {
	case c.result <- res:
	default:
		http.Error(w, "call answered already", http.StatusConflict)
		return
	}
	if code != http.StatusOK {
		http.Error(w, res.err.Error(), code)
	}
}

// callbackPath splits .../callback/N/TOKEN; any prefix is allowed, since
// a proxy in front of the listener may keep or strip its own.
func callbackPath(p string) (uint64, string, bool) {
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "callback" {
		return 0, "", false
	}
	n, err := strconv.ParseUint(parts[len(parts)-2], 10, 64)
	return n, parts[len(parts)-1], err == nil
}

// readCallback reads a callback whose token matched. A callback that
// cannot be taken still completes the call, with an error, rather than
// leaving it to time out, and is answered with the returned status.
func (a *Async) readCallback(w http.ResponseWriter, r *http.Request) (*result, int) {
	res := &result{callID: r.Header.Get("X-Call-Id"), header: r.Header}
	status, err := strconv.Atoi(r.Header.Get("X-Function-Status"))
	if err != nil {
		res.err = &lostError{callID: res.callID, msg: fmt.Sprintf("callback with X-Function-Status %q", r.Header.Get("X-Function-Status"))}
		return res, http.StatusBadRequest
	}
	res.status = status
	res.body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxCallbackBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		res.err = &statusError{from: "callback", status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("answer over the %d-byte bound on callbacks", a.opts.MaxCallbackBody)}
		return res, http.StatusRequestEntityTooLarge
	case err != nil:
		res.err = &lostError{callID: res.callID, msg: "reading callback: " + err.Error()}
		return res, http.StatusBadRequest
	}
	return res, http.StatusOK
}
