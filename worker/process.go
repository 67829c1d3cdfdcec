package worker

import "context"

type ownProcessKey struct{}

// InOwnProcess returns a context for serving tasks in a process that a
// platform (or a test standing in for one) started only to serve them:
// an OpenWhisk action, a Lambda function, "overcast worker serve". Tasks
// run with it may end their process, as a fair test of how the platform
// and the driver take a crash; in a driver's own process (the local
// backend) they may not. The serving loops pass it on to every task.
func InOwnProcess(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownProcessKey{}, true)
}

// OwnProcess reports whether the task running with ctx runs in a process
// of its own (see InOwnProcess).
func OwnProcess(ctx context.Context) bool {
	own, _ := ctx.Value(ownProcessKey{}).(bool)
	return own
}
