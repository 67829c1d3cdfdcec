// Package gcf serves Overcast tasks as a Cloud Run function (the former
// Cloud Functions) through Google's Functions Framework for Go: it
// registers the HTTP worker of package worker, the handler of overcast
// worker serve, as the function FunctionName.
//
// A function's source is a Go package that imports the tasks and calls
// Register from its init:
//
//	func init() {
//		if err := gcf.Register(worker.HTTPOptions{}); err != nil {
//			log.Fatal(err) // one line, and the instance does not start
//		}
//	}
//
// and is deployed with the entry point "Overcast". Requests then reach the
// worker's routes at the function's URL: POST /invoke with the token,
// GET /healthz. The framework owns the HTTP server, so there is no
// draining on SIGTERM here: a container running overcast worker serve
// has it. The framework is a package of its own so that the overcast
// binary, which never runs under it, does not carry it.
package gcf

import (
	"fmt"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/overcast-sc/overcast/worker"
)

// FunctionName is the name the worker registers under: the function's
// entry point (FUNCTION_TARGET).
const FunctionName = "Overcast"

// Register registers the HTTP worker with opts as the function
// FunctionName. The token defaults to OVERCAST_TOKEN; without one and
// without opts.Insecure it returns an error wrapping worker.ErrNoToken and
// registers nothing.
func Register(opts worker.HTTPOptions) error {
	if opts.Token == "" {
		opts.Token = os.Getenv("OVERCAST_TOKEN")
	}
	if opts.Logs == nil {
		opts.Logs = os.Stderr
	}
	s, err := worker.NewHTTPServer(opts)
	if err != nil {
		return fmt.Errorf("overcast function: %w", err)
	}
	functions.HTTP(FunctionName, s.ServeHTTP)
	return nil
}
