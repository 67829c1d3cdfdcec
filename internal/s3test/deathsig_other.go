//go:build !linux

package s3test

import "os/exec"

// setDeathSignal does nothing here: only Linux has a parent-death signal,
// so a killed test process leaves its server to the test's cleanup.
func setDeathSignal(*exec.Cmd) {}
