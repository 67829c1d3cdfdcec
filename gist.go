package overcast

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// maxGist bounds the length of a gist.
const maxGist = 160

// Gist returns a short, one-line form of err for people: a connection
// failure as what happened and to which address ("connection refused to
// 127.0.0.1:3233") without the URL and the layers around it; any other
// error without the URLs of requests, cut to 160 characters.
func Gist(err error) string {
	return gist(err, maxGist)
}

// gist is Gist cut to limit characters, or not cut when limit is zero.
func gist(err error, limit int) string {
	if err == nil {
		return ""
	}
	s := netGist(err)
	if s == "" {
		s = err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			s = strings.Replace(s, ue.Error(), ue.Err.Error(), 1)
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); limit > 0 && len(r) > limit {
		s = string(r[:limit-1]) + "…"
	}
	return s
}

// netGist describes a connection that failed, or returns "".
func netGist(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return "cannot resolve " + dns.Name + ": " + dns.Err
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		return ""
	}
	addr := ""
	if op.Addr != nil {
		addr = " " + op.Addr.String()
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused to" + addr
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by" + addr
	case op.Timeout() && op.Op == "dial":
		return "timed out connecting to" + addr
	case op.Op == "dial":
		return "cannot connect to" + addr + ": " + op.Err.Error()
	}
	return "connection to" + addr + " failed: " + op.Err.Error()
}
