//go:build !race

package faulttest

// workScale divides the CPU work of the pi and primes jobs, and slack
// multiplies their deadlines (see race_test.go).
const (
	workScale = 1
	slack     = 1
)
