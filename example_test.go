package overcast_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
)

// Tasks are registered once, at init, in the binary that drives and serves them.
func init() {
	overcast.Register("example/upper", func(ctx context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	})
}

func ExampleMap() {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		panic(err)
	}
	defer ex.Close()
	outs, err := overcast.Map[string, string](ctx, ex, "example/upper", []string{"over", "cast"}).Wait(ctx)
	fmt.Println(outs, err)
	// Output: [OVER CAST] <nil>
}

func ExampleMapReduce() {
	ctx := context.Background()
	ex, _ := overcast.NewExecutor(ctx, "local", nil)
	defer ex.Close()
	joined, err := overcast.MapReduce(ctx, ex, "example/upper", []string{"a", "b", "c"},
		func(ctx context.Context, parts []string) (string, error) { return strings.Join(parts, "+"), nil })
	fmt.Println(joined, err)
	// Output: A+B+C <nil>
}

func ExampleJobError() {
	ctx := context.Background()
	ex, _ := overcast.NewExecutor(ctx, "local", nil)
	defer ex.Close()
	outs, err := overcast.Map[int, int](ctx, ex, "test/double", []int{1, -1, 3}).Wait(ctx)
	fmt.Println(outs)
	fmt.Println(err)
	// Output:
	// [2 0 6]
	// 1 of 3 test/double tasks failed: task 1 (1 attempt): negative input
}
