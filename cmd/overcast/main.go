// Command overcast runs highly parallel jobs as thousands of serverless
// function invocations. Started by a platform, it is the worker instead.
package main

import "github.com/overcast-sc/overcast/cli"

func main() { cli.Main(cli.WithName("overcast")) }
