package selftest

import "os"

// WorkerProcess is set by worker modes that run in a process of their own
// (actionloop, Lambda), where exiting is a fair test of crash handling.
var WorkerProcess bool

func exit(code int) error {
	if !WorkerProcess {
		return ErrExitRefused
	}
	os.Exit(code)
	return nil
}
