//go:build unix

package sim

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes f's exclusive lock, which the system releases when the
// process ends, however it ends.
func lockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
}

// tryLockFile takes f's exclusive lock if no process holds it.
func tryLockFile(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}
