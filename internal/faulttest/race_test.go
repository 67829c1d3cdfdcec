//go:build race

package faulttest

// The race detector slows the tasks, which run in the test's process,
// about tenfold. workScale divides the CPU work of the pi and primes jobs
// so that tasks stay within the action's time limit, with the same faults
// and task counts; slack multiplies the jobs' deadlines, which only guard
// against a hang.
const (
	workScale = 10
	slack     = 4
)
