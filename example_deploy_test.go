package overcast_test

import (
	"context"
	"fmt"

	"github.com/overcast-sc/overcast"
	"github.com/overcast-sc/overcast/backend"
	"github.com/overcast-sc/overcast/backend/openwhisk"
)

// A program that deploys itself: the executor installs the running binary
// as the OpenWhisk action before the first job, or nothing when the
// platform holds the same code. Credentials come from ~/.wskprops or the
// WHISK_* variables.
func ExampleOptions_deploy() {
	ctx := context.Background()
	ex, err := overcast.NewExecutor(ctx, "openwhisk://?action=myjob", &overcast.Options{Deploy: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ex.Close()
	outs, err := overcast.Map[string, string](ctx, ex, "example/upper", []string{"over", "cast"}).Wait(ctx)
	fmt.Println(outs, err)
}

// Typed options instead of a URL: two namespaces, each with its own
// credentials, side by side in one program.
func ExampleExecutor_Deploy() {
	ctx := context.Background()
	for _, ns := range []struct{ name, key string }{{"team-a", "uuid-a:key-a"}, {"team-b", "uuid-b:key-b"}} {
		d, err := openwhisk.Open(ctx, &openwhisk.Options{Config: openwhisk.Config{
			APIHost: "https://openwhisk.example.com", Auth: ns.key, Namespace: ns.name}})
		if err != nil {
			fmt.Println(err)
			return
		}
		b := backend.New("openwhisk", d)
		defer b.Close()
		ex := overcast.NewExecutorFor(b, nil)
		info, err := ex.Deploy(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ns.name, info.Name, info.Uploaded)
	}
}
