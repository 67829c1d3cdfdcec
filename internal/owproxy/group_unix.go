//go:build unix

package owproxy

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, so that killing it
// also kills the action process the proxy starts.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
