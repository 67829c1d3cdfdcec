//go:build !unix

package worker

// FD3Writable reports whether file descriptor 3 is open for writing; only
// unix systems run OpenWhisk actions, so elsewhere it never is.
func FD3Writable() bool { return false }
