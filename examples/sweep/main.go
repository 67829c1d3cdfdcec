// Command sweep is the README's library example: a parameter sweep whose
// binary is also a full overcast CLI and worker.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/cli"
)

// Params is one point of the sweep; Price is what a task computes for it.
type Params struct{ Rate, Volatility float64 }
type Price struct{ Value float64 }

func init() {
	overcast.Register("sweep/price", func(ctx context.Context, p Params) (Price, error) {
		return Price{Value: p.Rate * p.Volatility}, nil // your model here
	})
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sweep" {
		ctx := context.Background()
		ex, err := overcast.NewExecutor(ctx, "local", nil) // or another backend URL
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer ex.Close()
		params := []Params{{0.01, 0.2}, {0.02, 0.3}}
		prices, err := overcast.Map[Params, Price](ctx, ex, "sweep/price", params).Wait(ctx)
		fmt.Println(prices, err) // err is a *overcast.JobError naming failed tasks
		return
	}
	cli.Main() // a worker when a platform starts it, the overcast CLI otherwise
}
