// Command selfdeploy is a user program as the library's self-deploy test
// runs it: it registers a task of its own, and
//
//	selfdeploy square BACKEND-URL N
//
// opens an executor with Options{Deploy: true}, which installs this very
// binary as the platform's worker (nothing when the platform holds the
// same code already), runs N tasks and prints the sum of their squares.
// Started by a platform, cli.Main serves the task as the worker.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/cli"
)

func init() {
	overcast.Register("selfdeploy/square", func(ctx context.Context, n int) (int, error) {
		return n * n, nil
	})
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "square" {
		if err := square(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "selfdeploy: %v\n", err)
			os.Exit(1)
		}
		return
	}
	cli.Main()
}

// square runs the job that args describe: a backend URL and a task count.
func square(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: selfdeploy square BACKEND-URL N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		return fmt.Errorf("bad task count %q", args[1])
	}
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, args[0], &overcast.Options{Deploy: true})
	if err != nil {
		return err
	}
	defer ex.Close()
	ins := make([]int, n)
	for i := range ins {
		ins[i] = i + 1
	}
	outs, err := overcast.Map[int, int](ctx, ex, "selfdeploy/square", ins).Wait(ctx)
	if err != nil {
		return err
	}
	sum := 0
	for _, o := range outs {
		sum += o
	}
	fmt.Println(sum)
	return nil
}
