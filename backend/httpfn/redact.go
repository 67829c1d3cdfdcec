package httpfn

import (
	"strings"
	"sync"
)

// redactor replaces the credentials it knows in text.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

// add makes s one of the secrets; short strings are not, as replacing
// them would mangle messages without hiding anything.
func (r *redactor) add(s string) {
	if len(s) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.secrets {
		if t == s {
			return
		}
	}
	if len(r.secrets) >= 64 { // Google tokens renew: keep the latest
		r.secrets = r.secrets[1:]
	}
	r.secrets = append(r.secrets, s)
}

// redact returns text with every known secret replaced.
func (r *redactor) redact(text string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		text = strings.ReplaceAll(text, s, "[redacted]")
	}
	return text
}

// holds reports whether text contains a known secret.
func (r *redactor) holds(text string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}
