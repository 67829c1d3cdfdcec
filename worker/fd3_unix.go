//go:build unix

package worker

import "golang.org/x/sys/unix"

// FD3Writable reports whether file descriptor 3 is open for writing, as
// the actionloop proxy leaves it for the answers.
func FD3Writable() bool {
	flags, err := unix.FcntlInt(3, unix.F_GETFL, 0)
	if err != nil {
		return false
	}
	mode := flags & unix.O_ACCMODE
	return mode == unix.O_WRONLY || mode == unix.O_RDWR
}
