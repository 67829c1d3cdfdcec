package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tempPrefix names a process-mode server's folder in the temporary
// directory, where action zips are unpacked.
const tempPrefix = "overcast-sim-"

// ownerFile, inside the folder, is locked by the server that owns the
// folder for as long as it runs, and holds its pid. The lock goes with
// the process, however it ends: a folder whose lock is free belongs to a
// server that is gone.
const ownerFile = "owner.lock"

// makeTemp removes the folders that servers killed without cleaning up
// left in the temporary directory, then makes this server's folder and
// takes its lock. Closing the returned file releases the lock.
func makeTemp() (dir string, owner *os.File, err error) {
	parent := os.TempDir()
	removeStale(parent)
	if dir, err = os.MkdirTemp(parent, tempPrefix); err != nil {
		return "", nil, fmt.Errorf("sim: %w", err)
	}
	if owner, err = lockOwner(dir); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("sim: lock %s: %w", dir, err)
	}
	return dir, owner, nil
}

// lockOwner creates the owner file of dir, locked and holding this
// process's pid. It is locked under another name and then renamed, so that
// no other server sees it unlocked.
func lockOwner(dir string) (*os.File, error) {
	tmp := filepath.Join(dir, ownerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ownerFile)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeStale removes the server folders in parent whose owner is gone.
func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if release, ok := stale(dir); ok {
			os.RemoveAll(dir)
			release()
		}
	}
}

// stale reports whether dir's owner is gone; if so it holds the folder's
// lock until release is called, so that no other server removes it too. A
// folder without an owner file is never stale: its server may be starting,
// or be an older sim's that makes none.
func stale(dir string) (release func(), ok bool) {
	f, err := os.Open(filepath.Join(dir, ownerFile))
	if err != nil {
		return nil, false
	}
	if !tryLockFile(f) {
		f.Close()
		return nil, false // its server runs
	}
	return func() { f.Close() }, true
}
