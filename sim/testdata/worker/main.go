// Command worker serves package worker's actionloop mode with the
// selftest tasks, independently of the overcast CLI.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/overcast-sc/overcast/backend/drivertest/selftest"
	"github.com/overcast-sc/overcast/worker"
)

func main() {
	selftest.WorkerProcess = true
	if err := worker.ServeActionLoop(context.Background(), os.Stdin, os.NewFile(3, "fd3"), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
