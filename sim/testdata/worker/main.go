// Command worker serves package worker's actionloop mode with the
// selftest tasks, independently of the overcast CLI.
package main

import (
	"context"
	"fmt"
	"os"

	_ "github.com/overcast-sc/overcast/backend/drivertest/selftest" // the tasks it serves
	"github.com/overcast-sc/overcast/worker"
)

func main() {
	ctx := worker.InOwnProcess(context.Background())
	if err := worker.ServeActionLoop(ctx, os.Stdin, os.NewFile(3, "fd3"), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
