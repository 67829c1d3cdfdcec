// Command hello is a small main package that deploy's tests cross-build
// as a worker, so that they compile no more than the runtime for another
// architecture.
package main

import "fmt"

func main() { fmt.Println("hello") }
