package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// newID returns 32 random hex digits, the shape of an activation id.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newAuth returns a random "uuid:key" pair shaped like OpenWhisk's.
func newAuth() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id := newID()
	var key [64]byte
	rand.Read(key[:])
	for i := range key {
		key[i] = alnum[int(key[i])%len(alnum)]
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s:%s", id[:8], id[8:12], id[12:16], id[16:20], id[20:], key[:])
}

func validAuth(a string) error {
	if u, k, ok := strings.Cut(a, ":"); !ok || u == "" || k == "" {
		return fmt.Errorf("sim: auth must be \"uuid:key\"")
	}
	return nil
}

// authorizer checks HTTP basic auth against one "uuid:key" pair.
type authorizer struct {
	header string // the expected Authorization header
	auth   string
}

func newAuthorizer(auth string) *authorizer {
	return &authorizer{header: "Basic " + base64.StdEncoding.EncodeToString([]byte(auth)), auth: auth}
}

// check reports whether r carries the auth, answering 401 when it does not.
func (a *authorizer) check(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(h), []byte(a.header)) == 1 {
		return true
	}
	if h == "" {
		writeError(w, http.StatusUnauthorized, msgNoAuth)
		return false
	}
	u, p, ok := r.BasicAuth()
	if ok && subtle.ConstantTimeCompare([]byte(u+":"+p), []byte(a.auth)) == 1 {
		return true
	}
	writeError(w, http.StatusUnauthorized, msgBadAuth)
	return false
}
