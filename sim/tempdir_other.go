//go:build !unix

package sim

import "os"

// lockFile does nothing where there is no flock: no folder is ever found
// stale there.
func lockFile(*os.File) error { return nil }

// tryLockFile reports false: without flock a folder's owner cannot be told
// gone, and a running server's folder must never be removed.
func tryLockFile(*os.File) bool { return false }
